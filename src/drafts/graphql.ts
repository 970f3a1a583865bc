import { AttributesRef, CreateCharacterPayload } from '../characters/graphql.js';
import type { Context } from '../context.js';
import { ConflictError, DraftIncompleteError, ForbiddenError, LimitReachedError, NotFoundError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { playerErrors } from '../graphql/errors.js';
import { characterWrite } from '../graphql/writes.js';
import { createDraft, deleteDraft, finalizeDraft, getDraft, getMyDraft, updateDraft, type Draft, type DraftDeps } from './drafts.js';

const deps = (ctx: Context): DraftDeps => ctx;

const CharacterDraftRef = builder.objectRef<Draft>('CharacterDraft').implement({
  description: 'A character being created in the wizard. Expires a day after its last read or update.',
  fields: (t) => ({
    id: t.exposeID('id'),
    playerId: t.exposeID('playerId'),
    name: t.exposeString('name', { nullable: true }),
    race: t.exposeString('race', { nullable: true, description: 'A Race id.' }),
    class: t.exposeString('class', { nullable: true, description: 'A CharacterClass id.' }),
    attributes: t.field({
      type: AttributesRef,
      nullable: true,
      description: 'The points allocated, before race and class modifiers.',
      resolve: (draft) => draft.attributes,
    }),
    step: t.exposeInt('step'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

const AttributesInput = builder.inputType('AttributesInput', {
  fields: (t) => ({ power: t.int(), speed: t.int(), spirit: t.int(), recovery: t.int() }),
});

const DraftInput = builder.inputType('DraftInput', {
  description: 'Parts of a draft. An omitted part is left as it is; null clears it.',
  fields: (t) => ({
    name: t.string({ required: false }),
    race: t.string({ required: false }),
    class: t.string({ required: false }),
    attributes: t.field({
      type: AttributesInput,
      required: false,
      description: 'Each 5 to 18, at most 40 in all; exactly 40 to finalize.',
    }),
    step: t.int({ required: false }),
  }),
});

const DraftPayload = builder.objectRef<Draft>('DraftPayload').implement({
  fields: (t) => ({ draft: t.field({ type: CharacterDraftRef, resolve: (draft) => draft }) }),
});
const DeleteDraftPayload = builder.objectRef<{ id: string }>('DeleteDraftPayload').implement({
  fields: (t) => ({ id: t.exposeID('id') }),
});

builder.queryFields((t) => ({
  draft: t.field({
    type: CharacterDraftRef,
    nullable: true,
    description: "One of the viewer's drafts; null when it does not exist or has expired.",
    args: { id: t.arg.id() },
    authScopes: { player: true },
    resolve: (_root, { id }, ctx) => getDraft(deps(ctx), ctx.playerId(), String(id)),
  }),
  myDraft: t.field({
    type: CharacterDraftRef,
    nullable: true,
    description: "The viewer's draft, if any.",
    authScopes: { player: true },
    resolve: (_root, _args, ctx) => getMyDraft(deps(ctx), ctx.playerId()),
  }),
}));

builder.mutationFields((t) => ({
  createDraft: t.field({
    type: DraftPayload,
    description: "Starts a draft, replacing the viewer's previous one.",
    args: { input: t.arg({ type: DraftInput }) },
    authScopes: { player: true },
    errors: playerErrors(),
    resolve: (_root, { input }, ctx) => createDraft(deps(ctx), ctx.playerId(), input),
  }),
  updateDraft: t.field({
    type: DraftPayload,
    args: { id: t.arg.id(), input: t.arg({ type: DraftInput }) },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, ConflictError),
    resolve: (_root, { id, input }, ctx) => updateDraft(deps(ctx), ctx.playerId(), String(id), input),
  }),
  deleteDraft: t.field({
    type: DeleteDraftPayload,
    args: { id: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError),
    resolve: async (_root, { id }, ctx) => ({ id: await deleteDraft(deps(ctx), ctx.playerId(), String(id)) }),
  }),
  finalizeDraft: t.field({
    type: CreateCharacterPayload,
    description: 'Creates the character from a complete draft, then deletes the draft.',
    args: { id: t.arg.id() },
    authScopes: { player: true },
    errors: playerErrors(ForbiddenError, NotFoundError, DraftIncompleteError, ConflictError, LimitReachedError),
    resolve: characterWrite((ctx, playerId, { id }) => finalizeDraft(deps(ctx), playerId, String(id))),
  }),
}));
