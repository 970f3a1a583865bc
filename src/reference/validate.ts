import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { formatPath } from '../validation.js';
import { KIND_NAMES, KINDS, type KindName, type KindRecords, type Reference } from './kinds.js';

export interface SeedFile<TRecord> {
  version: string;
  updated_at: string;
  data: TRecord[];
}
export type SeedSet = { [K in KindName]: SeedFile<KindRecords[K]> };

/** Every problem found in the seed files, one line each naming file, record index and field. */
export class SeedValidationError extends Error {
  override name = 'SeedValidationError';
  constructor(readonly problems: string[]) {
    super(`${problems.length} problem(s) in the seed files:\n${problems.join('\n')}`);
  }
}

const envelope = z.strictObject({
  version: z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'must be a semantic version like 1.2.0'),
  updated_at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' }),
  data: z.array(z.unknown()),
});

/** Reads and validates every seed file in `dir`. Nothing is returned unless all of it is valid. */
export async function readSeeds(dir: string): Promise<SeedSet> {
  const problems: string[] = [];
  const seeds: Partial<Record<KindName, SeedFile<{ id: string; name: string }>>> = {};

  for (const kind of KIND_NAMES) {
    const { file, record } = KINDS[kind];
    let json: unknown;
    try {
      json = JSON.parse(await readFile(join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: cannot be read as JSON (${(error as Error).message})`);
      continue;
    }
    const top = envelope.safeParse(json);
    if (!top.success) {
      for (const issue of top.error.issues) problems.push(`${file}: field "${formatPath(issue.path)}": ${issue.message}`);
      continue;
    }
    const records: Array<{ id: string; name: string }> = [];
    const firstIndexOf = new Map<string, number>();
    top.data.data.forEach((raw, index) => {
      const parsed = (record as z.ZodType<{ id: string; name: string }>).safeParse(raw);
      const label = `${file}: record ${index}${hasId(raw) ? ` (id "${raw.id}")` : ''}`;
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push(`${label}: field "${formatPath(issue.path)}": ${issue.message}`);
        return;
      }
      const earlier = firstIndexOf.get(parsed.data.id);
      if (earlier !== undefined) {
        problems.push(`${label}: field "id": duplicate id, already used by record ${earlier}`);
        return;
      }
      firstIndexOf.set(parsed.data.id, index);
      records.push(parsed.data);
    });
    seeds[kind] = { version: top.data.version, updated_at: top.data.updated_at, data: records };
  }

  if (problems.length === 0) problems.push(...danglingReferences(seeds as SeedSet));
  if (problems.length > 0) throw new SeedValidationError(problems);
  return seeds as SeedSet;
}

function hasId(raw: unknown): raw is { id: string } {
  return typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string';
}

function danglingReferences(seeds: SeedSet): string[] {
  const known = new Map<string, Set<string>>(KIND_NAMES.map((kind) => [kind, new Set(seeds[kind].data.map((r) => r.id))]));
  known.set('abilities', new Set(seeds.essences.data.flatMap((essence) => essence.abilities)));
  const problems: string[] = [];
  for (const kind of KIND_NAMES) {
    const definition = KINDS[kind] as { file: string; references(record: unknown): Reference[] };
    seeds[kind].data.forEach((record, index) => {
      for (const ref of definition.references(record)) {
        if (!known.get(ref.target)!.has(ref.id)) {
          const what = ref.target === 'abilities' ? 'ability' : `${ref.target} id`;
          problems.push(`${definition.file}: record ${index} (id "${record.id}"): field "${ref.field}": unknown ${what} "${ref.id}"`);
        }
      }
    });
  }
  return problems;
}
