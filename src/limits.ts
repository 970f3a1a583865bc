/**
 * Every bound a request lives within (DESIGN §14), in one place. The server enforces the
 * document and body limits before anything runs; domains import the input limits.
 */
export const REQUEST_LIMITS = {
  /** Bytes of a POST body; larger bodies get 413 before they are parsed. */
  maxBodyBytes: 1024 * 1024,
  /** Lexical tokens in a document; counted while parsing, so a huge document stops early. */
  maxTokens: 1_000,
  /** Nesting of selections (fragments followed). */
  maxDepth: 10,
  /** Aliased fields in a document. */
  maxAliases: 15,
  /** Directives in a document. */
  maxDirectives: 20,
  /**
   * graphql-armor's static cost (objects 2, scalars 1, ×1.5 per level of nesting). The page
   * of 100 characters with their nesting in DESIGN §14 costs 14,956; two such pages are refused.
   */
  maxCost: 20_000,
} as const;

/** Bounds on what one player may own or send. */
export const GAME_LIMITS = {
  charactersPerPlayer: 10,
  /** Entries in one addInventoryItems call, and items in all. */
  inventoryEntriesPerCall: 50,
  inventoryQuantityPerCall: 10_000,
  /** Participants of one tavern game. */
  tavernParticipants: 50,
  /** `activeTavernGames(first)`: default and maximum. */
  activeTavernGamesPage: { default: 20, max: 100 },
  /** `myTavernGames`: the viewer's active games. */
  myTavernGames: 50,
} as const;

/** Longest accepted string inputs that have no tighter rule of their own. */
export const STRING_LIMITS = {
  login: 255,
  password: 200,
  referenceId: 100,
} as const;
