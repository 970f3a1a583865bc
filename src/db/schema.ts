// Every table, gathered for drizzle(), drizzle-kit and the relations below.
export { players } from '../accounts/tables.js';
export { characters } from '../characters/tables.js';
export { characterEssences, characterAbilities } from '../essences/tables.js';
export { characterInventory } from '../inventory/tables.js';
export { characterQuests } from '../progress/tables.js';
