import { AUTHENTICATED_ERRORS } from '../graphql/errors.js';
import { characterWrite } from '../context.js';
import { builder } from '../graphql/builder.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { updateCharacterState } from './state.js';
import { characterPayload } from './types.js';

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

const UpdateCharacterStatePayload = characterPayload('UpdateCharacterStatePayload');

builder.mutationField('updateCharacterState', (t) =>
  t.field({
    type: UpdateCharacterStatePayload,
    description: 'Sets room, health, mana and stamina; vitals stay between 0 and the maximums the attributes allow.',
    args: { input: t.arg({ type: CharacterStateInput }) },
    errors: { types: [...AUTHENTICATED_ERRORS, ForbiddenError, NotFoundError] },
    resolve: async (_root, { input }, ctx) =>
      characterWrite(ctx, updateCharacterState(ctx.db, await ctx.requireViewerId(), { ...input, characterId: String(input.characterId) })),
  }),
);
