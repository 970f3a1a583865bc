import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Anything that could carry a secret is redacted by
 * path, so a careless `log.info({ input })` cannot leak a password or token.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'guildhall' },
    redact: {
      paths: [
        'password',
        'passwordHash',
        'token',
        'authorization',
        '*.password',
        '*.passwordHash',
        '*.token',
        '*.authorization',
        'req.headers.authorization',
        'databaseUrl',
        'redisUrl',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Hides the password in a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
