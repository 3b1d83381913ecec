import { fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import type { ResponseService } from '../../responses/index.ts';
import { parse } from '../validate.ts';
import { sendOpenLinkError } from './open-link-page.ts';

const surveyParams = z.object({ surveyId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a survey id') });
// Invitation tokens are 24 characters; open-link tokens carry their survey, version and channel (up to ~210).
export const tokenParams = z.object({ token: z.string().min(1).max(256) });
export const channelQuery = z.object({
  ch: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'not a channel name')
    .optional(),
});
const answers = z.record(z.string(), z.unknown());
const saveBody = z.object({ data: answers, page: z.number().int().min(0) });
const completeBody = z.object({ data: answers });

/** How long the open-link cookie keeps a visitor's token: long enough to resume another week. */
const openCookieMaxAge = 180 * 24 * 3600;

/**
 * Respondent routes (the token is the credential): the open link and the answering API.
 *
 * @example
 * respondRoutes(app, { responses, config });
 */
export function respondRoutes(
  app: FastifyInstance,
  deps: { responses: ResponseService; config: Config },
): void {
  const { responses, config } = deps;
  const secure = config.publicUrl.startsWith('https:');

  // A person follows this link in a browser: refusals come as a small page there (the API's JSON
  // error for everyone else).
  app.get('/o/:surveyId', async (request, reply) => {
    let surveyId: string;
    let token: string;
    try {
      surveyId = parse(surveyParams, request.params, 'params').surveyId;
      const { ch } = parse(channelQuery, request.query, 'query');
      const existingToken = fastifyCookie.parse(request.headers.cookie ?? '')[`enquete_open_${surveyId}`];
      token = await responses.openLink(surveyId, { existingToken, channel: ch });
    } catch (error) {
      if (sendOpenLinkError(request, reply, error)) return reply;
      throw error;
    }
    const cookieName = `enquete_open_${surveyId}`;
    reply.header(
      'set-cookie',
      fastifyCookie.serialize(cookieName, token, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        maxAge: openCookieMaxAge,
        secure,
      }),
    );
    reply.header('cache-control', 'no-store');
    return reply.redirect(`/s/${encodeURIComponent(token)}`, 302);
  });

  app.get('/api/v1/respond/:token', async (request, reply) => {
    const { token } = parse(tokenParams, request.params, 'params');
    const { ch } = parse(channelQuery, request.query, 'query');
    const view = await responses.load(token, { channel: ch });
    reply.header('cache-control', 'no-store');
    return {
      title: view.title,
      surveyjs: view.surveyjs,
      screenOut: view.screenOut,
      data: view.data,
      page: view.page,
      status: view.status,
    };
  });

  app.put('/api/v1/respond/:token', async (request) => {
    const { token } = parse(tokenParams, request.params, 'params');
    const body = parse(saveBody, request.body);
    await responses.savePartial(token, body);
    return { saved: true };
  });

  app.post('/api/v1/respond/:token/complete', async (request) => {
    const { token } = parse(tokenParams, request.params, 'params');
    const body = parse(completeBody, request.body);
    const result = await responses.complete(token, body);
    return { status: result.status, html: result.html, repeated: result.repeated };
  });
}
