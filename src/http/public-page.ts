import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * The small self-contained pages a member's browser sees outside the survey itself: unsubscribe,
 * the end of an external survey, a refused open link. One look, one style block allowed by its
 * hash, no script, never framed, cached or indexed, and no referrer (their addresses hold tokens).
 */
const style =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}' +
  'main{max-width:32rem;margin:15vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}' +
  'h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:.5rem 0}.note{color:#57606a;font-size:.9rem}' +
  'button{font:inherit;padding:.5rem 1.25rem;border:1px solid #1f2328;border-radius:4px;' +
  'background:#1f2328;color:#fff;cursor:pointer}';

const styleHash = createHash('sha256').update(style).digest('base64');

/**
 * The response headers of a public page. `forms: 'self'` lets its forms post to us (the
 * unsubscribe button); otherwise no form may be sent anywhere.
 *
 * @example
 * reply.headers(publicPageHeaders()).type('text/html; charset=utf-8').send(publicPage('Thank you', '<p>…</p>'));
 */
export function publicPageHeaders(options: { forms?: 'self' | 'none' } = {}): Record<string, string> {
  const forms = options.forms === 'self' ? "'self'" : "'none'";
  return {
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'sha256-${styleHash}'; form-action ${forms}; base-uri 'none'; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-robots-tag': 'noindex',
  };
}

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text (anything a person wrote) made safe for HTML, in content and in quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]!);
}

/** A page with the heading `title` (plain text, escaped here) over `bodyHtml` (already safe HTML). */
export function publicPage(title: string, bodyHtml: string): string {
  const t = escapeHtml(title);
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${t}</title><style>${style}</style></head>` +
    `<body><main><h1>${t}</h1>${bodyHtml}</main></body></html>\n`
  );
}

/** Browsers (Accept: text/html) get refusals as a page; scripts get the usual JSON error. */
export function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}
