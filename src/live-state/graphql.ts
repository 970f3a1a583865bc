import { readCharacter } from '../characters/graphql.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { readAfterCommit } from '../graphql/writes.js';
import { playerErrors } from '../graphql/errors.js';
import { announce } from '../invalidation.js';
import { acceptCharacterState } from './live-state.js';

const CharacterStateInput = builder.inputType('CharacterStateInput', {
  description: 'Live state. Omitted fields keep their value.',
  fields: (t) => ({
    characterId: t.id(),
    currentRoomId: t.string({ required: false }),
    health: t.int({ required: false }),
    mana: t.int({ required: false }),
    stamina: t.int({ required: false }),
  }),
});

const UpdateCharacterStatePayload = builder.objectRef<{ characterId: string }>('UpdateCharacterStatePayload').implement({
  description: 'The character as accepted: its live state shows the update, though PostgreSQL receives it later.',
  fields: (t) => ({
    // Through the character cache: a live update leaves the cached rows valid (reads overlay it).
    character: t.drizzleField({
      type: 'characters',
      resolve: (query, { characterId }, _args, ctx) => readAfterCommit(() => readCharacter(query, characterId, ctx)),
    }),
  }),
});

builder.mutationField('updateCharacterState', (t) =>
  t.field({
    type: UpdateCharacterStatePayload,
    description:
      'Sets room, health, mana and stamina (vitals between 0 and the maximums the attributes allow). Answers once the update is accepted; it is written to PostgreSQL in batches (write-behind), and every read shows it at once.',
    args: { input: t.arg({ type: CharacterStateInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError),
    resolve: async (_root, { input }, ctx) => {
      const { liveStates } = ctx;
      const deps = { db: ctx.db, cache: ctx.cache, store: liveStates.store };
      const accepted = await acceptCharacterState(deps, ctx.playerId(), { ...input, characterId: String(input.characterId) }, (error) =>
        liveStates.storeFailed(error),
      );
      await announce(ctx, { type: 'liveStateChanged', characterIds: accepted.characterIds });
      // The payload shows the state just recorded without reading it back.
      if (accepted.latest) ctx.loaders.liveState.prime(accepted.characterId, accepted.latest);
      return { characterId: accepted.characterId };
    },
  }),
);
