import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf, type Principal } from '../../auth/index.ts';
import { type DistributionService, distributionErrors, type Wave } from '../../distribution/index.ts';
import type { SurveyService } from '../../surveys/index.ts';
import { assertCanSee, clientScope, requireRole } from '../guards.ts';
import { jsonSchema } from '../openapi.ts';
import { parse } from '../validate.ts';

const id = z.string().min(1).max(100);
// Times, reminders, segment and templates are checked by the distribution module, which names
// the field (WAVE_INVALID), the segment column (SEGMENT_INVALID) or the template place
// (EMAIL_TEMPLATE_INVALID); here only their shape.
const createBody = z.strictObject({
  surveyId: id,
  segment: z.string().min(1).max(10_000),
  channel: z.enum(['email', 'portal']).optional(),
  startAt: z.string().max(64).optional(),
  deadline: z.string().max(64).nullable().optional(),
  reminders: z.string().max(200).optional(),
  name: z.string().max(200).nullable().optional(),
  subject: z.string().max(100_000).optional(),
  body: z.string().max(100_000).optional(),
  format: z.enum(['text', 'html']).optional(),
  // An external engine's URL with {token}; checked by the distribution module (docs/external-engines.md).
  externalUrl: z.string().max(2000).nullable().optional(),
});
const listQuery = z.object({ surveyId: id.optional() });
const idParams = z.object({ id });
const outboxQuery = z.object({
  waveId: id.optional(),
  status: z.enum(['queued', 'sending', 'sent', 'failed', 'cancelled', 'held']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce.number().int().min(1).optional(),
});
const countsQuery = z.object({ waveId: id.optional() });

/**
 * The distribution hub's API for the console and scripts: waves (create, list, show, progress)
 * and the outbox. Admins and researchers see and create every wave; a client user reads the
 * waves of its own client's surveys, and another client's wave answers WAVE_NOT_FOUND.
 *
 * @example
 * waveRoutes(app, { distribution: ctx.distribution, surveys: ctx.surveys });
 * // curl -X POST -H 'authorization: Bearer enq_…' -H 'content-type: application/json' \
 * //   -d '{"surveyId":"sv_…","segment":"region = \'Kanto\'","reminders":"3d,7d"}' …/api/v1/waves
 */
export function waveRoutes(
  app: FastifyInstance,
  deps: { distribution: DistributionService; surveys: SurveyService },
): void {
  const { distribution, surveys } = deps;
  const staff = ['admin', 'researcher'] as const;

  /**
   * What a client user reads of a wave: not its segment (an expression over the panel may name
   * members, `external_id in (…)`) nor which staff account made it.
   */
  const forClient = (wave: Wave) => ({ ...wave, segment: null, createdBy: null });

  /** The wave, if this principal may see it; WAVE_NOT_FOUND otherwise, as if it did not exist. */
  async function visibleWave(principal: Principal, waveId: string): Promise<Wave> {
    const wave = await distribution.getWave(waveId);
    if (principal.role !== 'client') return wave;
    const survey = await surveys.get(wave.surveyId);
    try {
      assertCanSee(principal, survey);
    } catch {
      throw distributionErrors.waveNotFound(waveId);
    }
    return wave;
  }

  app.post('/api/v1/waves', { schema: { body: jsonSchema(createBody) } }, async (request, reply) => {
    const principal = requireRole(request, ...staff);
    const body = parse(createBody, request.body);
    return reply.status(201).send(await distribution.createWave({ ...body, actor: actorOf(principal) }));
  });

  app.get('/api/v1/waves', { schema: { querystring: jsonSchema(listQuery) } }, async (request) => {
    const principal = requireRole(request, ...staff, 'client');
    const { surveyId } = parse(listQuery, request.query, 'query');
    const filter = surveyId === undefined ? {} : { surveyId };
    if (principal.role !== 'client') return { waves: await distribution.listWaves(filter) };
    const own = (await surveys.list(clientScope(principal))).map((s) => s.id);
    return { waves: (await distribution.listWaves({ ...filter, surveyIds: own })).map(forClient) };
  });

  app.get('/api/v1/waves/:id', async (request) => {
    const principal = requireRole(request, ...staff, 'client');
    const { id: waveId } = parse(idParams, request.params, 'params');
    const wave = await visibleWave(principal, waveId);
    return { wave: principal.role === 'client' ? forClient(wave) : wave };
  });

  app.get('/api/v1/waves/:id/progress', async (request) => {
    const principal = requireRole(request, ...staff, 'client');
    const { id: waveId } = parse(idParams, request.params, 'params');
    await visibleWave(principal, waveId);
    const progress = await distribution.progress(waveId);
    return principal.role === 'client' ? { ...progress, wave: forClient(progress.wave) } : progress;
  });

  app.get('/api/v1/outbox', { schema: { querystring: jsonSchema(outboxQuery) } }, async (request) => {
    requireRole(request, ...staff);
    const query = parse(outboxQuery, request.query, 'query');
    return distribution.outbox(query);
  });

  app.get('/api/v1/outbox/counts', { schema: { querystring: jsonSchema(countsQuery) } }, async (request) => {
    requireRole(request, ...staff);
    const { waveId } = parse(countsQuery, request.query, 'query');
    return { counts: await distribution.outboxCounts(waveId), sending: distribution.sending };
  });
}
