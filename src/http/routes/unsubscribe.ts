import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DistributionService, UnsubscribeInfo } from '../../distribution/index.ts';
import { isEnqueteError } from '../../kernel/index.ts';
import { escapeHtml, publicPage, publicPageHeaders } from '../public-page.ts';

/** "Aoki Ken (a•••@example.org)", escaped; whichever parts the panel has. */
function whom(info: UnsubscribeInfo): string {
  const name = info.name?.trim() ? escapeHtml(info.name.trim()) : null;
  const email = info.maskedEmail ? escapeHtml(info.maskedEmail) : null;
  if (name && email) return `${name} (${email})`;
  return name ?? email ?? 'you';
}

function confirmPage(token: string, info: UnsubscribeInfo): string {
  return publicPage(
    'Unsubscribe from survey invitations',
    `<p>This stops every survey invitation and reminder to ${whom(info)}.</p>` +
      `<form method="post" action="/u/${escapeHtml(encodeURIComponent(token))}">` +
      '<input type="hidden" name="confirm" value="1"><button type="submit">Unsubscribe</button></form>',
  );
}

function donePage(info: UnsubscribeInfo): string {
  return publicPage(
    'You are unsubscribed',
    `<p>${whom(info)} will get no more survey invitations or reminders from us.</p>`,
  );
}

const unknownPage = publicPage(
  'This link is not valid',
  '<p>We do not know this unsubscribe link. Use the link in the most recent message you got from us.</p>',
);

/** The form field of RFC 8058 one-click requests. */
const oneClickField = 'List-Unsubscribe';

/** The form fields of a urlencoded or multipart/form-data body (enough for one or two short fields). */
function formFields(body: unknown, contentType: string | undefined): Map<string, string> {
  const fields = new Map<string, string>();
  if (typeof body !== 'string') return fields;
  const boundary = /^multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!boundary) {
    for (const [k, v] of new URLSearchParams(body)) fields.set(k, v);
    return fields;
  }
  for (const part of body.split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(part.slice(0, split))?.[1];
    if (split > 0 && name !== undefined) fields.set(name, part.slice(split + 4).replace(/\r\n$/, ''));
  }
  return fields;
}

function isUnknownToken(error: unknown): boolean {
  return isEnqueteError(error) && error.code === 'INVITATION_UNKNOWN';
}

const html = (reply: FastifyReply, status: number, text: string) =>
  reply
    .status(status)
    .headers(publicPageHeaders({ forms: 'self' }))
    .type('text/html; charset=utf-8')
    .send(text);

/**
 * The unsubscribe link of every message, public like /s/:token (the token is the credential):
 * `GET /u/:token` asks for confirmation with a button (a link scanner that fetches it unsubscribes
 * nobody); `POST /u/:token` opts the member out, forever: from that page's form it answers a page,
 * and the RFC 8058 one-click POST of a mail client (`List-Unsubscribe=One-Click`) gets 200 with no
 * body. Repeating either changes nothing. Everything a person wrote (the member's name) is escaped.
 *
 * @example
 * unsubscribeRoutes(app, { distribution: ctx.distribution });
 * // curl -X POST -d 'List-Unsubscribe=One-Click' https://enquete.example/u/3q2…
 */
export function unsubscribeRoutes(app: FastifyInstance, deps: { distribution: DistributionService }): void {
  const { distribution } = deps;
  app.register(async (scope) => {
    // Mail clients send the one-click body urlencoded or as multipart/form-data; read both (and
    // anything else) as short text.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) =>
      done(null, body),
    );

    scope.get<{ Params: { token: string } }>('/u/:token', async (request, reply) => {
      const { token } = request.params;
      try {
        const info = await distribution.unsubscribeInfo(token);
        return html(reply, 200, info.optedOut ? donePage(info) : confirmPage(token, info));
      } catch (error) {
        if (isUnknownToken(error)) return html(reply, 404, unknownPage);
        throw error;
      }
    });

    scope.post<{ Params: { token: string } }>('/u/:token', async (request, reply) => {
      const { token } = request.params;
      const oneClick =
        formFields(request.body, request.headers['content-type']).get(oneClickField) === 'One-Click';
      try {
        await distribution.unsubscribe(token, oneClick ? 'one-click' : 'page');
        if (oneClick) return reply.status(200).header('cache-control', 'no-store').send();
        return html(reply, 200, donePage(await distribution.unsubscribeInfo(token)));
      } catch (error) {
        if (!isUnknownToken(error)) throw error;
        if (oneClick) return reply.status(404).header('cache-control', 'no-store').send();
        return html(reply, 404, unknownPage);
      }
    });
  });
}
