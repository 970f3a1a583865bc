import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from './paths.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional();
const redisUrl = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional();

const envSchema = z.object({
  DATABASE_URL: postgresUrl,
  REDIS_URL: redisUrl,
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a port number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65535, { error: 'must be between 0 and 65535' })
    .default(4000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be development, production or test' }).default('development'),
  DATA_DIR: z.string().min(1).default('.data'),
  DRAFT_TTL_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int()
    .min(1)
    .default(24 * 60 * 60),
  LIVE_STATE_FLUSH_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(100, { error: 'must be between 100 and 9000' })
    .max(9000, { error: 'must be between 100 and 9000' })
    .default(2000),
  DATABASE_POOL_SIZE: z.coerce.number({ error: 'must be a number' }).int().min(1).max(100).default(10),
  // How many proxies in front of the server append to X-Forwarded-For: 0 (default) ignores it.
  TRUST_PROXY: z
    .enum(['true', 'false', '0', '1', '2', '3', '4', '5'], { error: 'must be true, false or a number of proxies (0 to 5)' })
    .transform((value) => (value === 'true' ? 1 : value === 'false' ? 0 : Number(value)))
    .default(0),
  // Comma-separated origins allowed to call the API from a browser; unset: any origin in development, none in production.
  CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ error: 'must be comma-separated origins like https://play.example.com' })))
    .optional(),
  // Required as a bearer token by /metrics; unset: /metrics is open in development and off in production.
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  // Schema introspection (and GraphiQL with it); unset: on, except under NODE_ENV=production.
  GRAPHQL_INTROSPECTION: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((value) => value === 'true')
    .optional(),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A problem at start that a person can act on: the process prints the message alone and exits 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Loads `.env` from the project folder when there is one. Variables already set in the
 * environment win over the file.
 */
export function loadDotEnv(file = join(PROJECT_ROOT, '.env')): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/**
 * Validates the environment. The first bad variable becomes a one-line
 * message naming it; the value itself is never echoed, since URLs carry passwords.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "unset", as shells and .env files usually intend.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}

/** What the HTTP server exposes, from the configuration (production is closed by default). */
export interface ExposureOptions {
  introspection: boolean;
  /** Allowed browser origins; `'*'`: any (development). */
  corsOrigins: string[] | '*';
  /** /metrics: open, behind this bearer token, or off. */
  metrics: { token: string } | 'open' | 'off';
  /** Proxies whose X-Forwarded-For entries are trusted. */
  trustProxy: number;
}

export function exposureOf(config: Config): ExposureOptions {
  const production = config.NODE_ENV === 'production';
  return {
    introspection: config.GRAPHQL_INTROSPECTION ?? !production,
    corsOrigins: config.CORS_ORIGINS ?? (production ? [] : '*'),
    metrics: config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : production ? 'off' : 'open',
    trustProxy: config.TRUST_PROXY,
  };
}
