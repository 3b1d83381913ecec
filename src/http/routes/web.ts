import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { DistributionService } from '../../distribution/index.ts';
import { errorBody } from '../errors.ts';
import { channelQuery, tokenParams } from './respond.ts';
import { endPageHeaders, outcomePage } from './return-links.ts';

/** Where `npm run build:web` writes the pages and their assets. */
export const defaultWebDist = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Console paths answered with console.html (the console routes in the browser with the History API). */
export const consolePaths = [
  '/',
  '/login',
  '/surveys',
  '/surveys/new',
  '/surveys/:id',
  '/surveys/:id/edit',
  '/users',
  '/members',
  '/members/:externalId',
  '/segments',
  '/jobs',
  '/jobs/:name',
  '/waves',
  '/waves/:id',
  '/outbox',
  '/account',
] as const;

/** Hashed file names never change content: cache them for a year. */
const oneYearMs = 365 * 24 * 3600 * 1000;

const consoleHeaders = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; " +
    "media-src 'self' https:; frame-src https:; connect-src 'self'; font-src 'self' data:; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

// The respondent page may be framed by a member portal. Its address holds the token, so no other
// site gets it as a referrer; `same-origin` (not `no-referrer`) keeps the Origin header on our own
// unsafe requests, which the CSRF check needs when the respondent is also signed in to the console.
const respondHeaders = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; " +
    "media-src 'self' https:; frame-src https:; connect-src 'self'; font-src 'self' data:; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex',
};

const notBuilt = errorBody(
  'WEB_NOT_BUILT',
  'the web pages are not built: run npm run build:web (npm ci runs it) and restart the server',
);

/**
 * The browser pages: hashed assets under /assets/ (immutable caching, brotli or gzip files made at
 * build time chosen by Accept-Encoding), the respondent page at /s/:token and the console's pages.
 * Without a build, these routes answer 503 WEB_NOT_BUILT; the API works regardless.
 *
 * @example
 * webRoutes(app, { config: ctx.config });
 */
export function webRoutes(
  app: FastifyInstance,
  deps: { config: Config; distDir?: string; distribution?: Pick<DistributionService, 'externalEntry'> },
): void {
  const distDir = deps.distDir ?? defaultWebDist;
  const assetsDir = join(distDir, 'assets');

  if (existsSync(assetsDir)) {
    app.register(fastifyStatic, {
      root: assetsDir,
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      preCompressed: true,
      maxAge: oneYearMs,
      immutable: true,
    });
  } else {
    app.get('/assets/*', async (_request, reply) => reply.status(503).send(notBuilt));
  }

  const page =
    (file: string, headers: Record<string, string>) => async (_request: unknown, reply: FastifyReply) => {
      let html: Buffer;
      try {
        // Read on each request (about 1 KB): a rebuild while the server runs is picked up at once.
        html = await readFile(join(distDir, file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reply.status(503).send(notBuilt);
        throw error;
      }
      return reply.headers(headers).type('text/html; charset=utf-8').send(html);
    };

  const respondPage = page('respond.html', respondHeaders);
  const external = deps.distribution;
  app.get('/s/:token', async (request, reply) => {
    // A wave on an external engine sends its members there (docs/external-engines.md). Input that
    // does not parse gets the page, whose API call reports it as it always did.
    const params = tokenParams.safeParse(request.params);
    const query = channelQuery.safeParse(request.query);
    if (external && params.success && query.success) {
      const entry = await external.externalEntry(params.data.token, query.data.ch ?? null);
      if (entry?.kind === 'redirect') return reply.headers(endPageHeaders).redirect(entry.url, 302);
      if (entry?.kind === 'finished') {
        return reply
          .headers(endPageHeaders)
          .type('text/html; charset=utf-8')
          .send(outcomePage(entry.status, entry.surveyTitle));
      }
    }
    return respondPage(request, reply);
  });
  const consolePage = page('console.html', consoleHeaders);
  for (const path of consolePaths) app.get(path, consolePage);
}
