import {
  ConflictError,
  type DomainError,
  DraftIncompleteError,
  ERROR_CODES,
  ForbiddenError,
  InvalidCredentialsError,
  LimitReachedError,
  NotFoundError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthenticatedError,
  ValidationError,
} from '../errors.js';
import { builder } from './builder.js';

// The one place domain errors become GraphQL types. Each class gets an object
// type implementing `Error`; fields with `errors` list the classes they may return.

export const ErrorCodeEnum = builder.enumType('ErrorCode', { values: ERROR_CODES });

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'A refusal the client can act on. Switch on `code`; `message` is for people.',
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (error) => error.code }),
    message: t.exposeString('message'),
  }),
});

const errorObject = (name: string, description: string) => ({ name, description, interfaces: [ErrorInterface] });

builder.objectType(ValidationError, {
  ...errorObject('ValidationError', 'Input that breaks a rule. `field` names the input field, when there is one.'),
  fields: (t) => ({ field: t.exposeString('field', { nullable: true }) }),
});
builder.objectType(UnauthenticatedError, errorObject('UnauthenticatedError', 'No valid session.'));
builder.objectType(ForbiddenError, errorObject('ForbiddenError', 'The target belongs to another player.'));
builder.objectType(NotFoundError, errorObject('NotFoundError', 'The target does not exist.'));
builder.objectType(ConflictError, errorObject('ConflictError', 'The request clashes with existing state.'));
builder.objectType(LimitReachedError, {
  ...errorObject('LimitReachedError', 'A game limit is reached.'),
  fields: (t) => ({ limit: t.exposeInt('limit') }),
});
builder.objectType(DraftIncompleteError, {
  ...errorObject('DraftIncompleteError', 'The draft lacks parts a character needs.'),
  fields: (t) => ({ missingFields: t.exposeStringList('missingFields') }),
});
builder.objectType(InvalidCredentialsError, errorObject('InvalidCredentialsError', 'Wrong login or password.'));
builder.objectType(RateLimitedError, {
  ...errorObject('RateLimitedError', 'Too many attempts; retry later.'),
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});
builder.objectType(ServiceUnavailableError, errorObject('ServiceUnavailableError', 'A backing service is down.'));

/**
 * The `errors` option of a field that needs a signed-in player (`authScopes: { player: true }`):
 * no session, a backing service down and bad input, plus the field's own refusals.
 */
export function playerErrors(...more: Array<new (...args: never[]) => DomainError>) {
  return { types: [UnauthenticatedError, ServiceUnavailableError, ValidationError, ...more] };
}
