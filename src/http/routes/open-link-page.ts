import type { FastifyReply, FastifyRequest } from 'fastify';
import { type EnqueteError, isEnqueteError } from '../../kernel/index.ts';
import { statusOf } from '../errors.ts';
import { escapeHtml, publicPage, publicPageHeaders, wantsHtml } from '../public-page.ts';

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
  return publicPage(heading, `<p>${escapeHtml(text)}</p><p class="note">${escapeHtml(error.message)}</p>`);
}

export { wantsHtml };

/**
 * Answers a domain error of `GET /o/:surveyId` as a page with the error's status when a browser
 * asked; resolves false (nothing sent) when the error should take the usual JSON path.
 */
export function sendOpenLinkError(request: FastifyRequest, reply: FastifyReply, error: unknown): boolean {
  if (!isEnqueteError(error) || !wantsHtml(request)) return false;
  const status = statusOf[error.kind];
  if (status >= 500) return false;
  reply
    .status(status)
    .headers(publicPageHeaders())
    .type('text/html; charset=utf-8')
    .send(openLinkErrorPage(error));
  return true;
}
