import { committedCharacter } from '../characters/types.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { characterWrite } from '../context.js';
import { builder } from '../graphql/builder.js';
import { AUTHENTICATED_ERRORS } from '../graphql/errors.js';
import { abandonQuest, completeQuest, startQuest, updateQuestProgress } from './quests.js';
import { QUEST_STATUSES } from './tables.js';

const QuestStatusEnum = builder.enumType('QuestStatus', {
  values: Object.fromEntries(QUEST_STATUSES.map((status) => [status.toUpperCase(), { value: status }])) as Record<
    Uppercase<(typeof QUEST_STATUSES)[number]>,
    { value: (typeof QUEST_STATUSES)[number] }
  >,
});

builder.drizzleObject('characterQuests', {
  name: 'Quest',
  // Only the id by default: each field below selects its own column, so a list of
  // quest names never loads the progress documents.
  select: { columns: { id: true } },
  fields: (t) => ({
    id: t.exposeID('id'),
    questId: t.exposeString('questId'),
    status: t.expose('status', { type: QuestStatusEnum }),
    progress: t.expose('progress', { type: 'JSON' }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
  }),
});

const QuestPayload = builder.objectRef<{ id: string; characterId: string }>('QuestPayload').implement({
  fields: (t) => ({
    quest: t.drizzleField({
      type: 'characterQuests',
      resolve: async (query, { id }, _args, ctx) => (await ctx.db.query.characterQuests.findFirst(query({ where: { id } })))!,
    }),
    character: t.drizzleField({ type: 'characters', resolve: committedCharacter }),
  }),
});

const StartQuestInput = builder.inputType('StartQuestInput', {
  fields: (t) => ({ characterId: t.id(), questId: t.string({ description: 'lower_snake_case quest id.' }) }),
});
const QuestProgressInput = builder.inputType('QuestProgressInput', {
  fields: (t) => ({ id: t.id({ description: 'The Quest id.' }), progress: t.field({ type: 'JSON', description: 'A JSON object.' }) }),
});

const QUEST_ERRORS = [...AUTHENTICATED_ERRORS, ForbiddenError, NotFoundError, ConflictError] as const;

builder.mutationFields((t) => ({
  startQuest: t.field({
    type: QuestPayload,
    args: { input: t.arg({ type: StartQuestInput }) },
    errors: { types: [...QUEST_ERRORS] },
    resolve: async (_root, { input }, ctx) =>
      characterWrite(ctx, startQuest(ctx.db, await ctx.requireViewerId(), { characterId: String(input.characterId), questId: input.questId })),
  }),
  updateQuestProgress: t.field({
    type: QuestPayload,
    args: { input: t.arg({ type: QuestProgressInput }) },
    errors: { types: [...QUEST_ERRORS] },
    resolve: async (_root, { input }, ctx) =>
      characterWrite(ctx, updateQuestProgress(ctx.db, await ctx.requireViewerId(), { id: String(input.id), progress: input.progress })),
  }),
  completeQuest: t.field({
    type: QuestPayload,
    args: { id: t.arg.id() },
    errors: { types: [...QUEST_ERRORS] },
    resolve: async (_root, { id }, ctx) => characterWrite(ctx, completeQuest(ctx.db, await ctx.requireViewerId(), String(id))),
  }),
  abandonQuest: t.field({
    type: QuestPayload,
    args: { id: t.arg.id() },
    errors: { types: [...QUEST_ERRORS] },
    resolve: async (_root, { id }, ctx) => characterWrite(ctx, abandonQuest(ctx.db, await ctx.requireViewerId(), String(id))),
  }),
}));
