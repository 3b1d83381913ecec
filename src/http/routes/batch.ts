import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type BatchService,
  type BuiltinJobSettings,
  logLineText,
  logPages,
  reloadJobsFile,
} from '../../batch/index.ts';
import { EnqueteError } from '../../kernel/index.ts';
import { requireRole } from '../guards.ts';
import { parse } from '../validate.ts';

const dateQuery = z.strictObject({ date: z.string().max(20).optional() });
/** `POST /batch/<endpoint>` may carry its date in a JSON body instead of the query. */
const dateBody = z.strictObject({ date: z.string().max(20).optional() }).nullish();
/** The query of a route that takes none: a misplaced `?date=` is refused, not ignored. */
const noQuery = z.strictObject({});
const emptyBody = z.strictObject({}).nullish();
const nameParams = z.object({ name: z.string().min(1).max(200) });
const runParams = z.object({ name: z.string().min(1).max(200), runId: z.string().min(1).max(100) });
const runsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });
const logsQuery = z
  .strictObject({
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    tail: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .refine((q) => q.tail === undefined || (q.after === undefined && q.limit === undefined), {
    message: 'tail reads the last lines: not with after or limit',
    path: ['tail'],
  });
const runBody = z.strictObject({ date: z.string().max(20).optional() }).nullish();
const backfillBody = z.strictObject({ from: z.string().max(20), to: z.string().max(20) });
const pauseBody = z.strictObject({ reason: z.string().max(500).optional() }).nullish();

/**
 * The batch launcher over HTTP: the original system's `POST /batch/<endpoint>?date=YYYYMMDD`
 * and the JSON API under /api/v1/jobs. Admins and researchers only.
 *
 * @example
 * batchRoutes(app, { batch, config });
 */
export function batchRoutes(
  app: FastifyInstance,
  deps: {
    batch: BatchService;
    config: BuiltinJobSettings & { jobsPath: string | undefined; jobsFallback?: string };
  },
): void {
  const { batch, config } = deps;
  const staff = ['admin', 'researcher'] as const;

  app.post('/batch/*', async (request, reply) => {
    requireRole(request, ...staff);
    const endpoint = `/${(request.params as { '*': string })['*']}`.replace(/\/+$/, '');
    const query = parse(dateQuery, request.query, 'query');
    const body = parse(dateBody, request.body);
    if (query.date !== undefined && body?.date !== undefined && query.date !== body.date) {
      throw new EnqueteError(
        'REQUEST_INVALID',
        'invalid',
        `query.date ${query.date} and body.date ${body.date} disagree: give the date once`,
        { details: { path: ['query', 'date'] } },
      );
    }
    const date = query.date ?? body?.date;
    const job = batch.jobForEndpoint(endpoint);
    const run = await batch.startRun(job.name, { date, trigger: 'api' });
    return reply.status(202).send({ runId: run.id, date: run.date });
  });

  app.get('/api/v1/jobs', async (request) => {
    requireRole(request, ...staff);
    return { jobs: await batch.listJobs() };
  });

  app.post('/api/v1/jobs/pause', async (request, reply) => {
    requireRole(request, ...staff);
    parse(noQuery, request.query, 'query');
    const body = parse(pauseBody, request.body);
    await batch.pause({ all: true }, body?.reason);
    return reply.status(204).send();
  });

  app.post('/api/v1/jobs/resume', async (request, reply) => {
    requireRole(request, ...staff);
    parse(noQuery, request.query, 'query');
    parse(emptyBody, request.body);
    await batch.resume({ all: true });
    return reply.status(204).send();
  });

  // Reads jobs.yaml again in this process (others reload on SIGHUP); admins only.
  app.post('/api/v1/jobs/reload', async (request) => {
    requireRole(request, 'admin');
    parse(noQuery, request.query, 'query');
    parse(emptyBody, request.body);
    return reloadJobsFile(batch, config);
  });

  app.get('/api/v1/jobs/:name', async (request) => {
    requireRole(request, ...staff);
    const { name } = parse(nameParams, request.params, 'params');
    return { job: await batch.job(name) };
  });

  app.get('/api/v1/jobs/:name/runs', async (request) => {
    requireRole(request, ...staff);
    const { name } = parse(nameParams, request.params, 'params');
    const { limit } = parse(runsQuery, request.query, 'query');
    return { runs: await batch.runs(name, { limit }) };
  });

  app.post('/api/v1/jobs/:name/runs', async (request, reply) => {
    requireRole(request, ...staff);
    parse(noQuery, request.query, 'query');
    const { name } = parse(nameParams, request.params, 'params');
    const body = parse(runBody, request.body);
    const run = await batch.startRun(name, { date: body?.date, trigger: 'manual' });
    return reply.status(202).send({ run });
  });

  app.post('/api/v1/jobs/:name/backfill', async (request, reply) => {
    requireRole(request, ...staff);
    parse(noQuery, request.query, 'query');
    const { name } = parse(nameParams, request.params, 'params');
    const body = parse(backfillBody, request.body);
    return reply.status(202).send({ runs: await batch.backfill(name, body.from, body.to) });
  });

  app.post('/api/v1/jobs/:name/pause', async (request, reply) => {
    requireRole(request, ...staff);
    parse(noQuery, request.query, 'query');
    const { name } = parse(nameParams, request.params, 'params');
    const body = parse(pauseBody, request.body);
    await batch.pause({ job: name }, body?.reason);
    return reply.status(204).send();
  });

  app.post('/api/v1/jobs/:name/resume', async (request, reply) => {
    requireRole(request, ...staff);
    parse(noQuery, request.query, 'query');
    parse(emptyBody, request.body);
    const { name } = parse(nameParams, request.params, 'params');
    await batch.resume({ job: name });
    return reply.status(204).send();
  });

  app.get('/api/v1/jobs/:name/runs/:runId', async (request) => {
    requireRole(request, ...staff);
    const { name, runId } = parse(runParams, request.params, 'params');
    return { run: await batch.run(runId, name) };
  });

  app.get('/api/v1/jobs/:name/runs/:runId/logs', async (request) => {
    requireRole(request, ...staff);
    const { name, runId } = parse(runParams, request.params, 'params');
    const { after, limit, tail } = parse(logsQuery, request.query, 'query');
    if (tail !== undefined) return batch.logTail(runId, { job: name, lines: tail });
    return { logs: await batch.logs(runId, { job: name, after, limit }) };
  });

  // The whole log as a text file, read a page at a time while it is sent (a log holds up to
  // 100,000 lines per attempt; the console shows the last few thousand and links here).
  app.get('/api/v1/jobs/:name/runs/:runId/log.txt', async (request, reply) => {
    requireRole(request, ...staff);
    const { name, runId } = parse(runParams, request.params, 'params');
    await batch.run(runId, name); // a run of another job, or none: 404 before the file starts
    return reply
      .header('content-type', 'text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="${fileSafe(name)}-${fileSafe(runId)}.log"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(logText(batch, runId, name)));
  });

  app.post('/api/v1/jobs/:name/runs/:runId/cancel', async (request) => {
    requireRole(request, ...staff);
    parse(noQuery, request.query, 'query');
    parse(emptyBody, request.body);
    const { name, runId } = parse(runParams, request.params, 'params');
    return { run: await batch.cancel(runId, name) };
  });
}

/** The log as text, a page of lines at a time. */
async function* logText(batch: BatchService, runId: string, job: string): AsyncGenerator<string> {
  for await (const page of logPages(batch, runId, { job })) yield `${page.map(logLineText).join('\n')}\n`;
}

function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_');
}
