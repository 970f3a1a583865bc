import {
  type DefinitionNode,
  type GraphQLField,
  type GraphQLInputField,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  print,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema.js';

/**
 * The names DESIGN §10 fixes, as SDL copied from it: every type, field, argument, enum
 * value, input field and union member below must exist in the schema with this type
 * (the schema may have more). Add a section's SDL here when its operations land.
 */
const CONTRACT = `
interface Error { code: ErrorCode!  message: String! }
enum ErrorCode { UNAUTHENTICATED FORBIDDEN VALIDATION NOT_FOUND CHARACTER_NOT_FOUND MAX_ESSENCES_REACHED
  ESSENCE_ALREADY_BONDED UNKNOWN_ESSENCE_TYPE NAME_TAKEN USERNAME_TAKEN EMAIL_TAKEN INVALID_CREDENTIALS
  INVENTORY_FULL SLOT_OCCUPIED DRAFT_NOT_FOUND DRAFT_INCOMPLETE VERSION_CONFLICT RATE_LIMITED
  SERVICE_UNAVAILABLE CONFLICT LIMIT_REACHED }
enum Rank { NORMAL IRON BRONZE SILVER GOLD DIAMOND }
enum Attribute { POWER SPEED SPIRIT RECOVERY }

type Query {
  viewer: Player
  player(id: ID!): Player
  character(id: ID!): Character
  characters(first: Int, after: String): CharacterConnection!
  draft(id: ID!): CharacterDraft
  myDraft: CharacterDraft
  tavernGame(id: ID!): TavernGame
  tavernGameByChannel(channelId: String!): TavernGame
  activeTavernGames(first: Int): [TavernGame!]!
  myTavernGames: [TavernGame!]!
  gameDataVersion: String!
  enemies: [Enemy!]!   enemy(id: ID!): Enemy
  bosses: [Boss!]!     items: [Item!]!   item(id: ID!): Item
  races: [Race!]!      classes: [CharacterClass!]!   themes: [Theme!]!
  traps: [Trap!]!      hazards: [Hazard!]!   elements: [Element!]!
  achievements: [Achievement!]!   essenceTypes: [EssenceType!]!
}
type CharacterConnection { edges: [CharacterEdge!]! }
type CharacterEdge { node: Character!  cursor: String! }

type Player { id: ID!  username: String!  email: String  createdAt: DateTime!
              lastLogin: DateTime  characters: [Character!]!  drinkStats: DrinkStats! }
type Character { id: ID!  name: String!  rank: Rank!  attributes: Attributes!
                 currentRoomId: String  health: Int!  mana: Int!  stamina: Int!
                 player: Player!  essences: [Essence!]!  abilities: [Ability!]!
                 inventory: [InventoryItem!]!  createdAt: DateTime!  updatedAt: DateTime! }
type Attributes { power: Int!  speed: Int!  spirit: Int!  recovery: Int! }
type Essence { id: ID!  essenceType: String!  attributeBound: Attribute!
               rankBonded: Rank!  abilities: [Ability!]! }
type Ability { id: ID!  abilityName: String!  currentRank: Rank!  awakened: Boolean! }
type InventoryItem { id: ID!  itemId: String!  quantity: Int!  slot: Int }

type Mutation {
  register(input: RegisterInput!): RegisterResult!
  login(input: LoginInput!): LoginResult!
  logout: Boolean!
  createCharacter(input: CreateCharacterInput!): CreateCharacterResult!
  bondEssence(input: BondEssenceInput!): BondEssenceResult!
  addInventoryItems(input: AddInventoryItemsInput!): AddInventoryItemsResult!
  updateCharacterState(input: CharacterStateInput!): UpdateCharacterStateResult!
  changePassword(input: ChangePasswordInput!): ChangePasswordResult!
  deleteAccount(input: DeleteAccountInput!): DeleteAccountResult!
  createDraft(input: DraftInput!): CreateDraftResult!
  updateDraft(id: ID!, input: DraftInput!): UpdateDraftResult!
  deleteDraft(id: ID!): DeleteDraftResult!
  finalizeDraft(id: ID!): FinalizeDraftResult!
  startTavernGame(channelId: String!): StartTavernGameResult!
  joinTavernGame(gameId: ID!): JoinTavernGameResult!
  assignDrink(input: AssignDrinkInput!): AssignDrinkResult!
  endTavernGame(gameId: ID!): EndTavernGameResult!
}
union RegisterResult = AuthPayload
union LoginResult = AuthPayload
union CreateCharacterResult = CreateCharacterPayload
union BondEssenceResult = BondEssencePayload
union AddInventoryItemsResult = AddInventoryItemsPayload
union UpdateCharacterStateResult = UpdateCharacterStatePayload
union ChangePasswordResult = ChangePasswordPayload
union DeleteAccountResult = DeleteAccountPayload
union CreateDraftResult = DraftPayload
union UpdateDraftResult = DraftPayload
union DeleteDraftResult = DeleteDraftPayload
union FinalizeDraftResult = CreateCharacterPayload
union StartTavernGameResult = TavernGamePayload
union JoinTavernGameResult = TavernGamePayload
union AssignDrinkResult = DrinkPayload
union EndTavernGameResult = TavernGamePayload

input RegisterInput { username: String!  email: String!  password: String! }
input LoginInput { login: String!  password: String! }
type AuthPayload { token: String!  player: Player! }
input CreateCharacterInput { name: String! }
type CreateCharacterPayload { character: Character! }
input BondEssenceInput { characterId: ID!  essenceType: String!  attribute: Attribute! }
type BondEssencePayload { essence: Essence!  character: Character! }
input AddInventoryItemsInput { characterId: ID!  items: [ItemStackInput!]! }
type AddInventoryItemsPayload { character: Character! }
input ItemStackInput { itemId: String!  quantity: Int! }
input CharacterStateInput { characterId: ID!  currentRoomId: String  health: Int  mana: Int  stamina: Int }
type UpdateCharacterStatePayload { character: Character! }
input ChangePasswordInput { currentPassword: String!  newPassword: String! }
type ChangePasswordPayload { player: Player! }
input DeleteAccountInput { password: String! }
type DeleteAccountPayload { playerId: ID! }

type CharacterDraft { id: ID!  playerId: ID!  name: String  race: String  class: String
                      attributes: Attributes  step: Int!  expiresAt: DateTime! }
input DraftInput { name: String  race: String  class: String  attributes: AttributesInput  step: Int }
input AttributesInput { power: Int!  speed: Int!  spirit: Int!  recovery: Int! }
type DraftPayload { draft: CharacterDraft! }
type DeleteDraftPayload { id: ID! }
enum TavernGameStatus { ACTIVE ENDED }
type TavernGame { id: ID!  channelId: String!  status: TavernGameStatus!
                  participants: [Player!]!  createdAt: DateTime!  endedAt: DateTime
                  drinks(since: DateTime, until: DateTime): [Drink!]! }
type Drink { id: ID!  from: Player  to: Player  reason: String  at: DateTime! }
input AssignDrinkInput { gameId: ID!  toPlayerId: ID!  reason: String }
type TavernGamePayload { game: TavernGame! }
type DrinkPayload { drink: Drink! }
type DrinkStats { assigned: Int!  received: Int! }
type EssenceType { id: ID!  name: String!  abilities: [String!]!  bonus: Attributes! }
`;

type Row = [name: string, check: () => void];

function rowsOf(definition: DefinitionNode): Row[] {
  if (!('name' in definition) || !definition.name) return [];
  const name = definition.name.value;
  const type = () => schema.getType(name);
  switch (definition.kind) {
    case Kind.OBJECT_TYPE_DEFINITION:
    case Kind.INTERFACE_TYPE_DEFINITION:
      return (definition.fields ?? []).map((field) => [
        `${name}.${field.name.value}`,
        () => {
          const t = type();
          if (!isObjectType(t) && !isInterfaceType(t)) throw new Error(`${name} is missing`);
          const actual: GraphQLField<unknown, unknown> | undefined = t.getFields()[field.name.value];
          expect(actual, `${name}.${field.name.value}`).toBeDefined();
          expect(String(actual!.type)).toBe(print(field.type));
          for (const arg of field.arguments ?? []) {
            expect(
              String(actual!.args.find((a) => a.name === arg.name.value)?.type),
              `${name}.${field.name.value}(${arg.name.value})`,
            ).toBe(print(arg.type));
          }
        },
      ]);
    case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      return (definition.fields ?? []).map((field) => [
        `${name}.${field.name.value}`,
        () => {
          const t = type();
          if (!isInputObjectType(t)) throw new Error(`input ${name} is missing`);
          const actual: GraphQLInputField | undefined = t.getFields()[field.name.value];
          expect(String(actual?.type)).toBe(print(field.type));
        },
      ]);
    case Kind.ENUM_TYPE_DEFINITION:
      return (definition.values ?? []).map((value) => [
        `${name}.${value.name.value}`,
        () => {
          const t = type();
          if (!isEnumType(t)) throw new Error(`enum ${name} is missing`);
          expect(t.getValue(value.name.value), `${name}.${value.name.value}`).toBeDefined();
        },
      ]);
    case Kind.UNION_TYPE_DEFINITION:
      return (definition.types ?? []).map((member) => [
        `${name} = ${member.name.value}`,
        () => {
          const t = type();
          if (!isUnionType(t)) throw new Error(`union ${name} is missing`);
          expect(t.getTypes().map(String)).toContain(member.name.value);
          expect(t.getTypes().filter((m) => m.getInterfaces().some((i) => i.name === 'Error')).length).toBeGreaterThan(0);
        },
      ]);
    default:
      return [];
  }
}

describe('the API contract of DESIGN §10', () => {
  it.each(parse(CONTRACT).definitions.flatMap(rowsOf))('%s is in the schema as fixed', (_name, check) => check());
});
