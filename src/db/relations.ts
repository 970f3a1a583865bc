import { defineRelations } from 'drizzle-orm';
import * as schema from './schema.js';

export const relations = defineRelations(schema, (r) => ({
  players: {
    characters: r.many.characters({ from: r.players.id, to: r.characters.playerId }),
    best: r.one.playerBestScores({ from: r.players.id, to: r.playerBestScores.playerId }),
  },
  characters: {
    player: r.one.players({ from: r.characters.playerId, to: r.players.id, optional: false }),
    essences: r.many.characterEssences({ from: r.characters.id, to: r.characterEssences.characterId }),
    abilities: r.many.characterAbilities({ from: r.characters.id, to: r.characterAbilities.characterId }),
    inventory: r.many.characterInventory({ from: r.characters.id, to: r.characterInventory.characterId }),
    quests: r.many.characterQuests({ from: r.characters.id, to: r.characterQuests.characterId }),
  },
  characterEssences: {
    character: r.one.characters({ from: r.characterEssences.characterId, to: r.characters.id, optional: false }),
    abilities: r.many.characterAbilities({ from: r.characterEssences.id, to: r.characterAbilities.essenceId }),
  },
  characterAbilities: {
    character: r.one.characters({ from: r.characterAbilities.characterId, to: r.characters.id, optional: false }),
    essence: r.one.characterEssences({ from: r.characterAbilities.essenceId, to: r.characterEssences.id, optional: false }),
  },
  characterInventory: {
    character: r.one.characters({ from: r.characterInventory.characterId, to: r.characters.id, optional: false }),
  },
  characterQuests: {
    character: r.one.characters({ from: r.characterQuests.characterId, to: r.characters.id, optional: false }),
  },
  gameResults: {
    player: r.one.players({ from: r.gameResults.playerId, to: r.players.id, optional: false }),
  },
  friendships: {
    other: r.one.players({ from: r.friendships.otherId, to: r.players.id, optional: false }),
  },
}));
