-- Data migration: each character's inventory expansion level follows from how many
-- stacks it carries. 20 base slots, 10 more per level; a level is never lowered.
-- Idempotent: it only touches rows whose values differ from what the rule gives,
-- so running it again changes nothing.
WITH needed AS (
  SELECT c.id,
         GREATEST(c.inventory_expansion_level, CEIL(GREATEST(COUNT(i.id) - 20, 0) / 10.0)::integer) AS level
  FROM characters c
  LEFT JOIN character_inventory i ON i.character_id = c.id
  GROUP BY c.id, c.inventory_expansion_level
)
UPDATE characters c
SET inventory_expansion_level = needed.level,
    inventory_max_slots = 20 + 10 * needed.level
FROM needed
WHERE c.id = needed.id
  AND (c.inventory_expansion_level <> needed.level OR c.inventory_max_slots <> 20 + 10 * needed.level);
