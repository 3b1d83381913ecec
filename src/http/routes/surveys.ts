import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../../auth/index.ts';
import type { ResponseCounts, ResponseService } from '../../responses/index.ts';
import type { SurveyService } from '../../surveys/index.ts';
import { assertCanSee, clientScope, requireRole } from '../guards.ts';
import { parse } from '../validate.ts';

const source = z.string().min(1).max(5_000_000);
const format = z.enum(['json', 'yaml']).optional();
const client = z.string().min(1).max(200).nullable().optional();

const importBody = z.strictObject({ source, format, client, publish: z.boolean().optional() });
const checkBody = z.strictObject({ source, format });
const draftBody = z.strictObject({ source, format });
const settingsBody = z.strictObject({
  openLink: z.boolean().optional(),
  closed: z.boolean().optional(),
  client,
});
const idParams = z.object({ id: z.string().min(1).max(100) });
const versionParams = z.object({ id: z.string().min(1).max(100), version: z.coerce.number().int().min(1) });

const noCounts: ResponseCounts = { in_progress: 0, completed: 0, screened_out: 0 };

/**
 * The /api/v1/surveys routes of docs/api.md (the CSV export lives in export.ts). Client users
 * read their own client's surveys only; admins and researchers write.
 *
 * @example
 * surveyRoutes(app, { surveys: ctx.surveys, responses: ctx.responses });
 */
export function surveyRoutes(
  app: FastifyInstance,
  deps: { surveys: SurveyService; responses?: ResponseService },
): void {
  const { surveys, responses } = deps;
  const writers = ['admin', 'researcher'] as const;

  async function withCounts<T extends { id: string }>(survey: T): Promise<T & { counts?: ResponseCounts }> {
    if (!responses) return survey;
    return { ...survey, counts: await responses.counts(survey.id) };
  }

  app.get('/api/v1/surveys', async (request) => {
    const principal = requireRole(request, 'admin', 'researcher', 'client');
    const list = await surveys.list(clientScope(principal));
    if (!responses) return { surveys: list };
    const counts = await responses.countsBySurvey();
    return { surveys: list.map((s) => ({ ...s, counts: counts.get(s.id) ?? noCounts })) };
  });

  app.post('/api/v1/surveys', async (request, reply) => {
    const principal = requireRole(request, ...writers);
    const body = parse(importBody, request.body);
    const survey = await surveys.importSurvey({
      source: body.source,
      ...(body.format ? { format: body.format } : {}),
      client: body.client ?? null,
      publish: body.publish ?? false,
      actor: actorOf(principal),
    });
    return reply.status(201).send({ survey: await withCounts(survey) });
  });

  app.post('/api/v1/surveys/check', async (request) => {
    requireRole(request, ...writers);
    const body = parse(checkBody, request.body);
    const result = surveys.check(body.source, body.format);
    if (!result.ok) return { ok: false, errors: result.errors };
    return {
      ok: true,
      errors: [],
      surveyjs: result.document.surveyjs,
      screenOut: result.document.screenOut,
      codebook: result.codebook,
    };
  });

  app.get('/api/v1/surveys/:id', async (request) => {
    const principal = requireRole(request, 'admin', 'researcher', 'client');
    const { id } = parse(idParams, request.params, 'params');
    const survey = await surveys.get(id);
    assertCanSee(principal, survey);
    return { survey: await withCounts(survey) };
  });

  app.put('/api/v1/surveys/:id/draft', async (request) => {
    const principal = requireRole(request, ...writers);
    const { id } = parse(idParams, request.params, 'params');
    const body = parse(draftBody, request.body);
    const survey = await surveys.updateDraft(id, {
      source: body.source,
      ...(body.format ? { format: body.format } : {}),
      actor: actorOf(principal),
    });
    return { survey: await withCounts(survey) };
  });

  app.patch('/api/v1/surveys/:id', async (request) => {
    const principal = requireRole(request, ...writers);
    const { id } = parse(idParams, request.params, 'params');
    const body = parse(settingsBody, request.body);
    const survey = await surveys.updateSettings(id, {
      ...(body.openLink !== undefined ? { openLink: body.openLink } : {}),
      ...(body.closed !== undefined ? { closed: body.closed } : {}),
      ...(body.client !== undefined ? { client: body.client } : {}),
      actor: actorOf(principal),
    });
    return { survey: await withCounts(survey) };
  });

  app.post('/api/v1/surveys/:id/publish', async (request) => {
    const principal = requireRole(request, ...writers);
    const { id } = parse(idParams, request.params, 'params');
    return { version: await surveys.publish(id, actorOf(principal)) };
  });

  app.get('/api/v1/surveys/:id/versions/:version', async (request) => {
    const principal = requireRole(request, 'admin', 'researcher', 'client');
    const { id, version } = parse(versionParams, request.params, 'params');
    assertCanSee(principal, await surveys.get(id));
    return await surveys.getVersion(id, version);
  });
}
