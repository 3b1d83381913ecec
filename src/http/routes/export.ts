import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ResponseService } from '../../responses/index.ts';
import type { SurveyService } from '../../surveys/index.ts';
import { assertCanSee, requireRole } from '../guards.ts';
import { parse } from '../validate.ts';

const params = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a survey id') });
const query = z.object({ labels: z.enum(['0', '1', 'true', 'false']).optional() });

/**
 * Downloads of a survey's responses. The CSV streams from the database page by page.
 *
 * @example
 * exportRoutes(app, { surveys, responses });
 */
export function exportRoutes(
  app: FastifyInstance,
  deps: { surveys: SurveyService; responses: ResponseService },
): void {
  app.get('/api/v1/surveys/:id/export.csv', async (request, reply) => {
    const principal = requireRole(request, 'admin', 'researcher', 'client');
    const { id } = parse(params, request.params, 'params');
    const { labels } = parse(query, request.query, 'query');
    assertCanSee(principal, await deps.surveys.get(id));
    const stream = await deps.responses.exportCsvStream({
      surveyId: id,
      labels: labels === '1' || labels === 'true',
    });
    const filename = `${id}${labels === '1' || labels === 'true' ? '-labels' : ''}.csv`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });
}
