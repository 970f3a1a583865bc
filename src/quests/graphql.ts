import { staleOn } from '../invalidation.js';
import { committedCharacter } from '../characters/graphql.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { characterWrite, readAfterCommit } from '../graphql/writes.js';
import { builder } from '../graphql/builder.js';
import { storedEnum } from '../graphql/enums.js';
import { playerErrors } from '../graphql/errors.js';
import { abandonQuest, completeQuest, startQuest, updateQuestProgress } from './quests.js';
import { QUEST_STATUSES } from './tables.js';

const QuestStatusEnum = storedEnum('QuestStatus', QUEST_STATUSES);

builder.drizzleObject('characterQuests', {
  name: 'Quest',
  extensions: staleOn('characterChanged'),
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
      resolve: (query, { id }, _args, ctx) => readAfterCommit(() => ctx.db.query.characterQuests.findFirst(query({ where: { id } }))),
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

builder.mutationFields((t) => ({
  startQuest: t.field({
    type: QuestPayload,
    args: { input: t.arg({ type: StartQuestInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, ConflictError),
    resolve: characterWrite((ctx, playerId, { input }) =>
      startQuest(ctx.db, playerId, { characterId: String(input.characterId), questId: input.questId }),
    ),
  }),
  updateQuestProgress: t.field({
    type: QuestPayload,
    args: { input: t.arg({ type: QuestProgressInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, ConflictError),
    resolve: characterWrite((ctx, playerId, { input }) =>
      updateQuestProgress(ctx.db, playerId, { id: String(input.id), progress: input.progress }),
    ),
  }),
  completeQuest: t.field({
    type: QuestPayload,
    args: { id: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, ConflictError),
    resolve: characterWrite((ctx, playerId, { id }) => completeQuest(ctx.db, playerId, String(id))),
  }),
  abandonQuest: t.field({
    type: QuestPayload,
    args: { id: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, ConflictError),
    resolve: characterWrite((ctx, playerId, { id }) => abandonQuest(ctx.db, playerId, String(id))),
  }),
}));
