import pino, { type Logger } from 'pino';
import { type AuthService, createAuthService } from './auth/index.ts';
import { type BatchService, openBatchService } from './batch/index.ts';
import type { Config } from './config/index.ts';
import { type Db, migrateToLatest, openDatabase } from './db/index.ts';
import { createDistributionService, createMailer, type DistributionService } from './distribution/index.ts';
import { type Clock, cryptoIds, type Ids, systemClock } from './kernel/index.ts';
import { createPanelService, type PanelService } from './panel/index.ts';
import { createResponseService, type ResponseService } from './responses/index.ts';
import { createSurveyService, type SurveyService } from './surveys/index.ts';

/**
 * The composition root: every side effect (database, clock, randomness, logger) is created here
 * once per entry point and passed down. Modules never reach for globals.
 */
export interface Context {
  config: Config;
  db: Db;
  clock: Clock;
  ids: Ids;
  log: Logger;
  auth: AuthService;
  surveys: SurveyService;
  responses: ResponseService;
  panel: PanelService;
  /** The batch launcher; its scheduler loop runs only where `serve` starts it (role all|scheduler). */
  batch: BatchService;
  /** Waves, invitations, outbox, reminders, portal; its send/remind loop runs where `serve` starts it. */
  distribution: DistributionService;
}

export interface ContextOverrides {
  db?: Db;
  clock?: Clock;
  ids?: Ids;
  log?: Logger;
  /** Where the log is written; stdout by default. A CLI command's goes to stderr: its stdout is its result. */
  logDestination?: pino.DestinationStream;
  /** Where `${NAME}` in jobs.yaml resolves from; the process environment by default. */
  env?: Record<string, string | undefined>;
}

/** Opens the database, runs migrations, and wires the modules. */
export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<Context> {
  const log =
    overrides.log ??
    pino(
      {
        level: config.logLevel,
        redact: {
          paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
          censor: '[redacted]',
        },
      },
      overrides.logDestination,
    );
  const db =
    overrides.db ??
    openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      onIdleError: (error) => log.warn({ err: error }, 'a PostgreSQL connection was dropped; it is replaced'),
    });
  await migrateToLatest(db);
  const clock = overrides.clock ?? systemClock;
  const ids = overrides.ids ?? cryptoIds;
  const base = { db, clock, ids };
  const surveys = createSurveyService(base);
  const panel = createPanelService(base);
  const distribution = createDistributionService({
    ...base,
    surveys,
    panel,
    publicUrl: config.publicUrl,
    // nodemailer connects on the first send only: commands that never send open no connection.
    mailer: config.smtpUrl
      ? createMailer({
          smtpUrl: config.smtpUrl,
          from: config.mailFrom,
          pool: true,
          ...(config.smtpRate ? { rate: config.smtpRate } : {}),
        })
      : null,
    log: log.child({ module: 'distribution' }),
    portal: { maxMembers: config.portalCacheMembers },
  });
  let batch: BatchService | undefined;
  return {
    config,
    db,
    clock,
    ids,
    log,
    auth: createAuthService(base),
    surveys,
    responses: createResponseService({ ...base, surveys, invitations: distribution.gate }),
    panel,
    // Opened on first use: a command that never touches the launcher (`survey list`, say) works
    // in a shell that lacks the secrets jobs.yaml references. `serve` opens it at start.
    get batch() {
      batch ??= openBatchService({
        ...base,
        log: log.child({ module: 'batch' }),
        jobsPath: config.jobsPath,
        env: overrides.env ?? process.env,
        publicUrl: config.publicUrl,
        smtpUrl: config.smtpUrl,
        dataDir: config.dataDir,
        databaseUrl: config.databaseUrl,
        options: { stopGraceMs: config.stopGraceMs },
      });
      return batch;
    },
    distribution,
  };
}
