// Every table, gathered for drizzle(), drizzle-kit and the relations below.
export { players } from '../accounts/tables.js';
export { characters } from '../characters/tables.js';
export { characterEssences, characterAbilities } from '../essences/tables.js';
export { characterInventory } from '../inventory/tables.js';
export { characterQuests } from '../quests/tables.js';
export { chatMessages, friendships } from '../social/tables.js';
export {
  achievements,
  bosses,
  characterClasses,
  elements,
  enemies,
  essenceTypes,
  hazards,
  items,
  races,
  seedVersions,
  themes,
  traps,
} from '../reference/tables.js';
export {
  dailyChallengeResults,
  dailyChallenges,
  gameResults,
  gameSaves,
  playerAchievements,
  playerBestScores,
} from '../progress/tables.js';
