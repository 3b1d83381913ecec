import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EnqueteError } from '../kernel/index.ts';

/** Everything the platform reads from its environment, validated once at start. */
export interface Config {
  dataDir: string;
  /** `postgres://…` selects PostgreSQL; undefined means SQLite in the data directory. */
  databaseUrl: string | undefined;
  port: number;
  host: string;
  /** jobs.yaml path, or undefined for the built-in jobs. */
  jobsPath: string | undefined;
  /** `./jobs.yaml`, looked for again on reload when ENQUETE_JOBS is not set and it was not there at start. */
  jobsFallback: string;
  smtpUrl: string | undefined;
  /** Sender of invitations (`ENQUETE_MAIL_FROM`); default `enquete <noreply@HOST of the public URL>`. */
  mailFrom: string;
  /** At most this many messages per interval (`ENQUETE_SMTP_RATE`, e.g. `50/s`); undefined: no limit. */
  smtpRate: { messages: number; perMs: number } | undefined;
  adminPassword: string | undefined;
  publicUrl: string;
  logLevel: string;
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
  /** Members the portal keeps in each process's cache (`ENQUETE_PORTAL_CACHE`); 0: none. */
  portalCacheMembers: number;
  /**
   * On SIGTERM/SIGINT, how long `serve` lets running job attempts and open requests go on before
   * it stops them (`ENQUETE_STOP_GRACE`, seconds; default 10).
   */
  stopGraceMs: number;
}

const keys = {
  ENQUETE_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  PORT: 'port',
  HOST: 'host',
  ENQUETE_JOBS: 'jobsPath',
  SMTP_URL: 'smtpUrl',
  ENQUETE_MAIL_FROM: 'mailFrom',
  ENQUETE_SMTP_RATE: 'smtpRate',
  ENQUETE_ADMIN_PASSWORD: 'adminPassword',
  ENQUETE_PUBLIC_URL: 'publicUrl',
  ENQUETE_LOG_LEVEL: 'logLevel',
  ENQUETE_BODY_LIMIT: 'bodyLimit',
  ENQUETE_PORTAL_CACHE: 'portalCacheMembers',
  ENQUETE_STOP_GRACE: 'stopGraceMs',
} as const;

const schema = z.object({
  ENQUETE_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// (leave unset for SQLite)')
    .optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  ENQUETE_JOBS: z.string().min(1).optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  ENQUETE_MAIL_FROM: z.string().min(3).optional(),
  ENQUETE_SMTP_RATE: z
    .string()
    .regex(/^[1-9]\d*\/(s|min|h)$/, 'must be messages per unit, e.g. 50/s, 3000/min or 100000/h')
    .optional(),
  ENQUETE_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  ENQUETE_PUBLIC_URL: z.url().optional(),
  ENQUETE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ENQUETE_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  ENQUETE_PORTAL_CACHE: z.coerce.number().int().min(0).default(100_000),
  ENQUETE_STOP_GRACE: z.coerce.number().min(0, 'must be seconds, 0 or more').max(3600).default(10),
});

/**
 * Reads configuration from the environment, with `enquete.yaml` in `cwd` (or `ENQUETE_CONFIG`)
 * supplying the same keys; the environment wins. Throws CONFIG_INVALID naming every bad key.
 *
 * @example
 * const config = loadConfig(process.env, process.cwd());
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string): Config {
  const fromFile = readConfigFile(env['ENQUETE_CONFIG'] ?? resolve(cwd, 'enquete.yaml'));
  const merged: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(keys)) {
    const value = env[key];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EnqueteError('CONFIG_INVALID', 'invalid', `invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  const jobsDefault = resolve(cwd, 'jobs.yaml');
  const publicUrl = (c.ENQUETE_PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '');
  return {
    dataDir: resolve(cwd, c.ENQUETE_DATA_DIR),
    databaseUrl: c.DATABASE_URL,
    port: c.PORT,
    host: c.HOST,
    jobsPath: c.ENQUETE_JOBS
      ? resolve(cwd, c.ENQUETE_JOBS)
      : existsSync(jobsDefault)
        ? jobsDefault
        : undefined,
    jobsFallback: jobsDefault,
    smtpUrl: c.SMTP_URL,
    mailFrom: c.ENQUETE_MAIL_FROM ?? `enquete <noreply@${new URL(publicUrl).hostname}>`,
    smtpRate: c.ENQUETE_SMTP_RATE ? parseRate(c.ENQUETE_SMTP_RATE) : undefined,
    adminPassword: c.ENQUETE_ADMIN_PASSWORD,
    publicUrl,
    logLevel: c.ENQUETE_LOG_LEVEL,
    bodyLimit: c.ENQUETE_BODY_LIMIT,
    portalCacheMembers: c.ENQUETE_PORTAL_CACHE,
    stopGraceMs: Math.round(c.ENQUETE_STOP_GRACE * 1000),
  };
}

const rateUnitMs = { s: 1000, min: 60_000, h: 3_600_000 } as const;

/** `50/s` → 50 messages per 1,000 ms. */
function parseRate(text: string): { messages: number; perMs: number } {
  const [count, unit] = text.split('/') as [string, keyof typeof rateUnitMs];
  return { messages: Number(count), perMs: rateUnitMs[unit] };
}

function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new EnqueteError('CONFIG_INVALID', 'invalid', `${path}: not valid YAML (${String(cause)})`, {
      cause,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new EnqueteError('CONFIG_INVALID', 'invalid', `${path}: must be a map of settings`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (!(key in keys)) {
      throw new EnqueteError('CONFIG_INVALID', 'invalid', `${path}: unknown key ${key}`);
    }
    out[key] = value === null ? undefined : String(value);
  }
  return out;
}
