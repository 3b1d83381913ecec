import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../../auth/index.ts';
import type { DistributionService, QuotaInput } from '../../distribution/index.ts';
import type { SurveyService } from '../../surveys/index.ts';
import { assertCanSee, requireRole } from '../guards.ts';
import { jsonSchema } from '../openapi.ts';
import { parse } from '../validate.ts';

const id = z.string().min(1).max(100);
const surveyParams = z.object({ id });
const quotaParams = z.object({ quotaId: id });
const cellParams = z.object({ quotaId: id, cellId: id });
const limitBody = z.strictObject({ limit: z.number() });
// For the OpenAPI document; the quota service checks the body itself (QUOTA_INVALID names the field).
const quotaBody = z.strictObject({
  name: z.string(),
  cells: z.array(
    z.strictObject({
      label: z.string(),
      memberCondition: z.string().nullable().optional(),
      answerCondition: z.string().nullable().optional(),
      limit: z.number().int(),
    }),
  ),
});

/**
 * Quotas of a survey (docs/quotas.md): read with live counts by admins, researchers and the
 * survey's own client users; created, re-limited and deleted by admins and researchers.
 *
 * @example
 * quotaRoutes(app, { surveys: ctx.surveys, distribution: ctx.distribution });
 */
export function quotaRoutes(
  app: FastifyInstance,
  deps: { surveys: SurveyService; distribution: DistributionService },
): void {
  const { surveys } = deps;
  const quotas = deps.distribution.quotas;
  const writers = ['admin', 'researcher'] as const;

  app.get('/api/v1/surveys/:id/quotas', async (request) => {
    const principal = requireRole(request, 'admin', 'researcher', 'client');
    const params = parse(surveyParams, request.params, 'params');
    assertCanSee(principal, await surveys.get(params.id));
    return { quotas: await quotas.list(params.id) };
  });

  app.post(
    '/api/v1/surveys/:id/quotas',
    { schema: { body: jsonSchema(quotaBody) } },
    async (request, reply) => {
      const principal = requireRole(request, ...writers);
      const params = parse(surveyParams, request.params, 'params');
      const quota = await quotas.create(params.id, request.body as QuotaInput, actorOf(principal));
      return reply.status(201).send({ quota });
    },
  );

  app.patch('/api/v1/quotas/:quotaId/cells/:cellId', async (request) => {
    requireRole(request, ...writers);
    const { quotaId, cellId } = parse(cellParams, request.params, 'params');
    const body = parse(limitBody, request.body);
    return { cell: await quotas.setLimit(quotaId, cellId, body.limit) };
  });

  app.delete('/api/v1/quotas/:quotaId', async (request, reply) => {
    requireRole(request, ...writers);
    const { quotaId } = parse(quotaParams, request.params, 'params');
    await quotas.remove(quotaId);
    return reply.status(204).send();
  });
}
