import type { Db } from '../db/index.ts';
import type { Clock, Ids } from '../kernel/index.ts';
import type { PanelService } from '../panel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { queueFirstMessages } from './dispatch.ts';
import type { Mailer } from './email/index.ts';
import { listOutbox, outboxCounts } from './outbox-queries.ts';
import { type PortalOptions, portalLookup } from './portal.ts';
import { createQuotaHook } from './quota-hook.ts';
import { createQuotaService } from './quota-store.ts';
import type { QuotaService } from './quota-types.ts';
import { runReminders } from './reminders.ts';
import { chainCompletionHooks, createInvitationGate, type InvitationGate } from './respondent-gate.ts';
import { enterExternal, recordReturn, returnLinksOf } from './return-links.ts';
import { sendDue } from './sender.ts';
import type {
  CompletionHook,
  ExternalEntry,
  OutboxMessage,
  OutboxQuery,
  PortalSurvey,
  ReminderReport,
  ReturnLinks,
  ReturnOutcome,
  ReturnRecorded,
  SendReport,
  Wave,
  WaveInput,
  WaveProgress,
} from './types.ts';
import { type UnsubscribeInfo, unsubscribe, unsubscribeInfo } from './unsubscribe.ts';
import { createWave, type WaveCreated } from './wave-create.ts';
import { listWaves, toWave, waveProgress, waveRow } from './wave-queries.ts';

/** Where the loop reports what went wrong (a pino logger fits). */
export interface DistributionLog {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface DistributionDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  surveys: SurveyService;
  panel: PanelService;
  /** Base of links in messages and the portal (`ENQUETE_PUBLIC_URL`). */
  publicUrl: string;
  /** The SMTP mailer; null keeps every message in the outbox. */
  mailer?: Mailer | null;
  log?: DistributionLog;
  /** More completion deciders, after the quotas' (always on); the first `quota_full` wins. */
  completionHooks?: CompletionHook[];
  /** Members per wave-creation batch (default 10,000). */
  waveBatchSize?: number;
  /** The portal's in-process cache (default 100,000 members, fresh within 1 s); see portal.ts. */
  portal?: PortalOptions;
}

/** What one pass of the loop did. */
export interface TickReport {
  queued: number;
  send: SendReport;
}

export interface DistributionService {
  /** Creates a wave and its invitations; see docs/distribution.md. */
  createWave(input: WaveInput): Promise<WaveCreated>;
  listWaves(filter?: { surveyId?: string; surveyIds?: string[] }): Promise<Wave[]>;
  /** Throws WAVE_NOT_FOUND. */
  getWave(id: string): Promise<Wave>;
  progress(id: string): Promise<WaveProgress>;
  /**
   * `/s/:token` of an external wave: records the first visit (`opened`, `channel`) and sends the
   * member to the engine. Null when the hub renders the page (see return-links.ts).
   */
  externalEntry(token: string, channel: string | null): Promise<ExternalEntry | null>;
  /**
   * Records an external engine's return link once. Throws INVITATION_UNKNOWN, RETURN_NOT_EXTERNAL,
   * RETURN_SIGNATURE_INVALID, RETURN_ALREADY_RECORDED; a refusal changes nothing.
   */
  recordReturn(token: string, outcome: ReturnOutcome, sig: string): Promise<ReturnRecorded>;
  /** An external wave's signing key and return URL templates (admins only). Throws WAVE_NOT_FOUND, RETURN_NOT_EXTERNAL. */
  returnLinks(waveId: string): Promise<ReturnLinks>;
  /** The port the responses module reports answering steps through. */
  gate: InvitationGate;
  /** Quotas: definitions and live counts; completions take their slots through `gate`. */
  quotas: QuotaService;
  /** Queues the first messages of e-mail waves whose start has come. */
  queueDue(limit?: number): Promise<number>;
  /** Sends due outbox messages; without a mailer it sends nothing (they stay queued). */
  sendDue(limit?: number): Promise<SendReport>;
  /**
   * Decides and queues the reminders that are due. Its one scheduled owner is the batch job
   * `reminders` (`enquete reminders run`, every 10 minutes); the loop does not call it.
   */
  runReminders(): Promise<ReminderReport>;
  /** One pass of the loop: queue first messages, then send while messages are due. */
  tick(): Promise<TickReport>;
  /** Open invitations of a member for the portal; empty for unknown or opted-out members. */
  portalSurveys(externalId: string): Promise<PortalSurvey[]>;
  /**
   * The same as the UTF-8 bytes of the JSON text `{"surveys":[…]}`, as the portal route sends it
   * (the hot path): at once, with no promise, for a member in the portal's cache while its change
   * feed is fresh.
   */
  portalSurveysJson(externalId: string): Buffer | Promise<Buffer>;
  outbox(query?: OutboxQuery): Promise<{ messages: OutboxMessage[]; next: number | null }>;
  outboxCounts(waveId?: string): Promise<Record<string, number>>;
  /** Throws INVITATION_UNKNOWN. */
  unsubscribeInfo(token: string): Promise<UnsubscribeInfo>;
  /** Opts the token's member out forever; `channel` says how (`page`, `one-click`). */
  unsubscribe(token: string, channel: string): Promise<{ alreadyOptedOut: boolean }>;
  /** True when SMTP is configured. */
  readonly sending: boolean;
  /** Starts the loop (serve on roles all|scheduler): a pass every `intervalMs` (default 5 s). */
  start(options?: { intervalMs?: number }): void;
  /** Stops the loop, waits for the pass in progress, closes the mailer. */
  stop(): Promise<void>;
}

/** Sends per pass at most this many batches, so one pass never runs unbounded. */
const maxSendBatches = 50;

/**
 * The distribution hub behind one object. Wire it once per entry point.
 *
 * @example
 * const distribution = createDistributionService({ db, clock, ids, surveys, panel, publicUrl, mailer });
 * const { wave, invited } = await distribution.createWave({ surveyId, segment: "region = 'Kanto'", actor: 'cli' });
 * distribution.start();
 */
export function createDistributionService(deps: DistributionDeps): DistributionService {
  const { db, clock, surveys, panel, publicUrl } = deps;
  const mailer = deps.mailer ?? null;
  const k = db.kysely;
  const portal = portalLookup({
    db,
    clock,
    publicUrl,
    ...(deps.portal ? { options: deps.portal } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
  const gate = createInvitationGate({
    clock,
    surveys,
    onComplete: chainCompletionHooks([createQuotaHook({ panel }), ...(deps.completionHooks ?? [])]),
    committed: portal.touch,
  });
  surveys.onChange(portal.touch);
  /**
   * Writes of the hub that may change the portal (statuses, opt-outs, waves) tell it once they
   * have committed, failed or not (a failure may have committed part), so this process's next
   * answer reads the change feed first; other processes read it within the bound.
   */
  const touching = async <T>(write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      portal.touch();
    }
  };
  const flow = { db, clock, surveys, panel, publicUrl };
  const empty: SendReport = { sent: 0, retried: 0, failed: 0, cancelled: 0, held: 0 };
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  const service: DistributionService = {
    createWave: (input) =>
      touching(
        createWave(
          {
            db,
            clock,
            ids: deps.ids,
            surveys,
            panel,
            publicUrl,
            ...(deps.waveBatchSize ? { batchSize: deps.waveBatchSize } : {}),
          },
          input,
        ),
      ),
    listWaves: (filter) => listWaves(k, filter),
    getWave: async (id) => toWave(await waveRow(k, id)),
    progress: (id) => waveProgress(k, db.dialect, id),
    externalEntry: (token, channel) => touching(enterExternal({ db, clock, surveys }, token, channel)),
    recordReturn: (token, outcome, sig) =>
      touching(recordReturn({ db, clock, surveys, onComplete: gate.onComplete }, token, outcome, sig)),
    returnLinks: async (waveId) => returnLinksOf(publicUrl, await waveRow(k, waveId)),
    gate,
    quotas: createQuotaService({ db, clock, ids: deps.ids, surveys, panel }),
    queueDue: (limit) => touching(queueFirstMessages(flow, limit)),
    sendDue: async (limit) =>
      mailer ? touching(sendDue({ db, clock, mailer, panel }, limit)) : { ...empty },
    runReminders: () => runReminders(flow),
    async tick() {
      // No reminders here: the built-in batch job `reminders` owns them, so they show as runs with
      // logs, can be paused, and notify on failure. A second caller would still be harmless: each
      // batch of a round is decided in one transaction that first moves the wave's cursor from
      // where that caller found it (0 rows moved = another caller took the batch, it stops), and
      // marks only invitations still pending; see reminders.ts.
      const queued = await service.queueDue();
      const send = { ...empty };
      for (let i = 0; mailer && i < maxSendBatches; i++) {
        const r = await service.sendDue(200);
        send.sent += r.sent;
        send.retried += r.retried;
        send.failed += r.failed;
        send.cancelled += r.cancelled;
        send.held += r.held;
        // Held messages are not due again until a limit change releases them: no pass spins on them.
        if (r.sent + r.retried + r.failed + r.cancelled + r.held < 200) break;
      }
      return { queued, send };
    },
    portalSurveys: portal,
    portalSurveysJson: portal.json,
    outbox: (query = {}) => listOutbox(k, query),
    outboxCounts: (waveId) => outboxCounts(k, waveId),
    unsubscribeInfo: (token) => unsubscribeInfo({ db, clock, panel }, token),
    unsubscribe: (token, channel) => touching(unsubscribe({ db, clock, panel }, token, channel)),
    sending: mailer !== null,
    start(options = {}) {
      if (timer || stopped) return;
      const interval = options.intervalMs ?? 5000;
      const pass = () => {
        running = service
          .tick()
          .then((report) => {
            if (report.queued || report.send.sent || report.send.failed) {
              deps.log?.info({ ...report }, 'distribution pass');
            }
          })
          .catch((error: unknown) => deps.log?.error({ err: error }, 'distribution pass failed'))
          .finally(() => {
            running = null;
            if (!stopped) timer = setTimeout(pass, interval);
          });
      };
      timer = setTimeout(pass, 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      await mailer?.close();
    },
  };
  return service;
}
