import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type EnqueteError, isEnqueteError } from '../../kernel/index.ts';
import { statusOf } from '../errors.ts';

const style =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}' +
  'main{max-width:32rem;margin:15vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}' +
  'h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:.5rem 0}.why{color:#57606a;font-size:.9rem}';

// No script, the one style block allowed by its hash, no forms, never framed, cached or indexed.
const pageHeaders = {
  'cache-control': 'no-store',
  'content-security-policy':
    `default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; ` +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What a visitor reads for each refusal of an open link; anything else is "not valid". */
const texts: Record<string, readonly [string, string]> = {
  SURVEY_NOT_OPEN: [
    'This survey is not open',
    'This survey does not take answers through this link at the moment. If you were invited, use the link in your invitation.',
  ],
  SURVEY_NOT_FOUND: [
    'This survey link is not valid',
    'We do not know this survey. Check the address of the link.',
  ],
};
const invalid = texts['SURVEY_NOT_FOUND']!;

/** The page of an open-link refusal: fixed text by code, the domain's reason (escaped) below it. */
export function openLinkErrorPage(error: EnqueteError): string {
  const [heading, text] = texts[error.code] ?? invalid;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)}</title><style>${style}</style>
</head><body><main><h1>${escapeHtml(heading)}</h1><p>${escapeHtml(text)}</p><p class="why">${escapeHtml(error.message)}</p></main></body></html>
`;
}

/** Browsers (Accept: text/html) get a refusal as a page; API clients get the usual JSON error. */
export function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * Answers a domain error of `GET /o/:surveyId` as a page with the error's status when a browser
 * asked; resolves false (nothing sent) when the error should take the usual JSON path.
 */
export function sendOpenLinkError(request: FastifyRequest, reply: FastifyReply, error: unknown): boolean {
  if (!isEnqueteError(error) || !wantsHtml(request)) return false;
  const status = statusOf[error.kind];
  if (status >= 500) return false;
  reply.status(status).headers(pageHeaders).type('text/html; charset=utf-8').send(openLinkErrorPage(error));
  return true;
}
