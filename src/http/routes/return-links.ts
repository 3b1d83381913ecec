import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { type AuthService, actorOf } from '../../auth/index.ts';
import { type DistributionService, returnOutcomes } from '../../distribution/index.ts';
import { type EnqueteError, isEnqueteError } from '../../kernel/index.ts';
import { statusOf } from '../errors.ts';
import { requireRole } from '../guards.ts';
import { escapeHtml, publicPage, publicPageHeaders, wantsHtml } from '../public-page.ts';
import { parse } from '../validate.ts';

const returnParams = z.object({
  token: z.string().min(1).max(200),
  outcome: z.enum(returnOutcomes),
});
const sigQuery = z.object({ sig: z.string().max(200).optional() });
const idParams = z.object({ id: z.string().min(1).max(100) });

/** The headers of the pages a member's browser sees at the end of an external survey. */
export const endPageHeaders = publicPageHeaders();

const outcomeText = {
  completed: ['Thank you', 'Your answers have been recorded. You may close this page.'],
  screened_out: ['Thank you for your interest', 'This survey is looking for other participants this time.'],
  quota_full: ['Thank you for your interest', 'This survey has all the answers it needs from your group.'],
} as const;

/** A heading, its text and the survey's title (written by its author) below, all escaped. */
function page(title: string, heading: string, text: string): string {
  return publicPage(heading, `<p>${escapeHtml(text)}</p><p class="note">${escapeHtml(title)}</p>`);
}

/** The page of a recorded outcome; the survey's title (written by its author) is escaped. */
export function outcomePage(status: keyof typeof outcomeText, surveyTitle: string): string {
  const [heading, text] = outcomeText[status];
  return page(surveyTitle, heading, text);
}

function refusalPage(error: EnqueteError): string {
  const heading =
    error.code === 'RETURN_ALREADY_RECORDED' ? 'Your answer is already recorded' : 'This link is not valid';
  return page('enquete', heading, error.message);
}

/**
 * External survey engines: the signed return links the engine sends members back to, and the
 * signing key and URL templates for an admin who configures the engine (docs/external-engines.md).
 *
 * @example
 * returnLinkRoutes(app, { distribution: ctx.distribution, auth: ctx.auth });
 * // GET /r/<token>/complete?sig=<base64url HMAC-SHA256> → 200 thank-you page
 */
export function returnLinkRoutes(
  app: FastifyInstance,
  deps: { distribution: DistributionService; auth: AuthService },
): void {
  const { distribution, auth } = deps;

  app.get('/r/:token/:outcome', async (request, reply: FastifyReply) => {
    const { token, outcome } = parse(returnParams, request.params, 'params');
    const { sig } = parse(sigQuery, request.query, 'query');
    reply.headers(endPageHeaders);
    try {
      const recorded = await distribution.recordReturn(token, outcome, sig ?? '');
      return reply.type('text/html; charset=utf-8').send(outcomePage(recorded.status, recorded.surveyTitle));
    } catch (error) {
      if (!isEnqueteError(error) || !wantsHtml(request)) throw error;
      return reply.status(statusOf[error.kind]).type('text/html; charset=utf-8').send(refusalPage(error));
    }
  });

  // The key forges any outcome of the wave: admins only, and every look is audited.
  app.get('/api/v1/waves/:id/return-links', async (request, reply) => {
    const principal = requireRole(request, 'admin');
    const { id } = parse(idParams, request.params, 'params');
    const links = await distribution.returnLinks(id);
    await auth.audit({
      actor: actorOf(principal),
      action: 'wave.return_links.view',
      target: id,
      ip: request.ip,
    });
    reply.header('cache-control', 'no-store');
    return { returnLinks: links };
  });
}
