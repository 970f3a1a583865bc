import type { Attribute } from './tables.js';

export type Attributes = Record<Attribute, number>;

export const STARTING_ATTRIBUTES: Attributes = { power: 10, speed: 10, spirit: 10, recovery: 10 };

/**
 * Maximum health, mana and stamina follow from the attributes. A fresh
 * character (10 in everything) has 100 of each.
 */
export function maxVitals(a: Attributes): { health: number; mana: number; stamina: number } {
  return {
    health: 50 + 2 * a.power + 3 * a.recovery,
    mana: 50 + 4 * a.spirit + a.recovery,
    stamina: 50 + 3 * a.speed + 2 * a.recovery,
  };
}
