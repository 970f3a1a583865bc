/**
 * Domain errors: what a rule refuses, with a stable code clients can switch on.
 * Model functions throw these; src/graphql/errors.ts maps each class to an
 * object type implementing the GraphQL `Error` interface. Anything else that is
 * thrown is unexpected and reaches the client only as a masked GraphQL error.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'VALIDATION',
  'NOT_FOUND',
  'CHARACTER_NOT_FOUND',
  'MAX_ESSENCES_REACHED',
  'ESSENCE_ALREADY_BONDED',
  'UNKNOWN_ESSENCE_TYPE',
  'NAME_TAKEN',
  'USERNAME_TAKEN',
  'EMAIL_TAKEN',
  'INVALID_CREDENTIALS',
  'INVENTORY_FULL',
  'SLOT_OCCUPIED',
  'DRAFT_NOT_FOUND',
  'DRAFT_INCOMPLETE',
  'VERSION_CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'CONFLICT',
  'LIMIT_REACHED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

/** Input that breaks a rule; `field` names the offending input field when there is one. */
export class ValidationError extends DomainError {
  override name = 'ValidationError';
  readonly code = 'VALIDATION' as const;
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  override name = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED' as const;
  constructor(message = 'Sign in first: this needs a valid session token.') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';
  readonly code = 'FORBIDDEN' as const;
  constructor(message = 'That belongs to another player.') {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  constructor(
    readonly code: 'NOT_FOUND' | 'CHARACTER_NOT_FOUND' | 'DRAFT_NOT_FOUND' | 'UNKNOWN_ESSENCE_TYPE',
    message: string,
  ) {
    super(message);
  }
}

/** The request clashes with existing state: a taken name, an occupied slot, a stale version. */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
  constructor(
    readonly code:
      | 'CONFLICT'
      | 'NAME_TAKEN'
      | 'USERNAME_TAKEN'
      | 'EMAIL_TAKEN'
      | 'ESSENCE_ALREADY_BONDED'
      | 'SLOT_OCCUPIED'
      | 'VERSION_CONFLICT',
    message: string,
  ) {
    super(message);
  }
}

/** A draft is finalized before every required part is filled in. */
export class DraftIncompleteError extends DomainError {
  override name = 'DraftIncompleteError';
  readonly code = 'DRAFT_INCOMPLETE' as const;
  constructor(readonly missingFields: string[]) {
    super(`The draft is missing: ${missingFields.join(', ')}.`);
  }
}

/** A game limit is reached: four essences, a full inventory, ten characters, a full tavern table. */
export class LimitReachedError extends DomainError {
  override name = 'LimitReachedError';
  constructor(
    readonly code: 'MAX_ESSENCES_REACHED' | 'INVENTORY_FULL' | 'LIMIT_REACHED',
    message: string,
    readonly limit: number,
  ) {
    super(message);
  }
}

export class InvalidCredentialsError extends DomainError {
  override name = 'InvalidCredentialsError';
  readonly code = 'INVALID_CREDENTIALS' as const;
  constructor() {
    super('That login and password do not match.');
  }
}

export class RateLimitedError extends DomainError {
  override name = 'RateLimitedError';
  readonly code = 'RATE_LIMITED' as const;
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many failed attempts. Try again in ${retryAfterSeconds} seconds.`,
  ) {
    super(message);
  }
}

/** A backing service (Redis) is unreachable and the feature cannot work without it. */
export class ServiceUnavailableError extends DomainError {
  override name = 'ServiceUnavailableError';
  readonly code = 'SERVICE_UNAVAILABLE' as const;
  constructor(message = 'This feature is briefly unavailable. Try again shortly.') {
    super(message);
  }
}
