import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../auth/index.ts';
import { EnqueteError } from '../../kernel/index.ts';
import type { PanelService } from '../../panel/index.ts';
import { requireRole } from '../guards.ts';
import { jsonSchema } from '../openapi.ts';
import { parse } from '../validate.ts';

/** Largest member file the API takes; the import streams, so this bounds time, not memory. */
export const memberImportLimit = 200 * 1024 * 1024;

const fileTypes = ['text/csv', 'text/tab-separated-values'];
const progressToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22,64}$/, '22 to 64 characters of A-Z, a-z, 0-9, - and _');
const importQuery = z.object({
  key: z.string().min(1).max(200).optional(),
  progress: progressToken.optional(),
});
const listQuery = z.object({
  q: z.string().max(200).optional(),
  segment: z.string().max(10_000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  after: z.string().min(1).max(200).optional(),
  total: z.stringbool().optional(),
});
const catalogueQuery = z.object({ values: z.coerce.number().int().min(1).max(100).optional() });
const importParams = z.object({ token: progressToken });
const memberParams = z.object({ externalId: z.string().min(1).max(200) });
const countBody = z.strictObject({ expression: z.string().max(10_000) });

function tooLarge(limit: number): EnqueteError {
  return new EnqueteError(
    'MEMBERS_IMPORT_TOO_LARGE',
    'too_large',
    `a member file has at most ${limit >= 1 << 20 ? `${limit / (1 << 20)} MB` : `${limit} bytes`}; split it`,
  );
}

/** Who may read an import's progress: the user or API key that started it. */
function ownerOf(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

/** The request body, stopped with MEMBERS_IMPORT_TOO_LARGE once it passes the limit. */
async function* limited(body: Readable, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limit) throw tooLarge(limit);
    yield chunk;
  }
}

/**
 * The panel's API, for admins and researchers: member import (the CSV/TSV file as the request
 * body, streamed into the import; `?progress=TOKEN` makes its progress readable at
 * `/api/v1/member-imports/TOKEN` meanwhile), member search and detail, the attribute catalogue
 * and segment counts.
 *
 * @example
 * memberRoutes(app, { panel });
 * // curl -H 'content-type: text/csv' --data-binary @panel.csv '…/api/v1/members/import?key=respondent_id'
 */
export function memberRoutes(
  app: FastifyInstance,
  deps: { panel: PanelService; importLimit?: number },
): void {
  const { panel } = deps;
  const importLimit = deps.importLimit ?? memberImportLimit;
  app.register(async (scope) => {
    // The body stays a stream: the import reads it batch by batch instead of holding the file.
    scope.addContentTypeParser(fileTypes, (_request, payload, done) => done(null, payload));

    scope.post('/api/v1/members/import', { bodyLimit: importLimit }, async (request) => {
      const principal = requireRole(request, 'admin', 'researcher');
      const { key, progress } = parse(importQuery, request.query, 'query');
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!(request.body instanceof Readable) || !fileTypes.includes(type)) {
        throw new EnqueteError(
          'MEMBERS_IMPORT_MEDIA_TYPE',
          'invalid',
          'send the member file as the body with content-type text/csv or text/tab-separated-values',
        );
      }
      if (Number(request.headers['content-length'] ?? 0) > importLimit) throw tooLarge(importLimit);
      return panel.importMembers(limited(request.body, importLimit), {
        ...(key ? { key } : {}),
        ...(type === 'text/tab-separated-values' ? { delimiter: '\t' as const } : {}),
        ...(progress ? { track: { token: progress, owner: ownerOf(principal) } } : {}),
      });
    });

    scope.get('/api/v1/member-imports/:token', async (request) => {
      const principal = requireRole(request, 'admin', 'researcher');
      const { token } = parse(importParams, request.params, 'params');
      return { import: panel.importStatus(token, ownerOf(principal)) };
    });

    scope.get('/api/v1/members', async (request) => {
      requireRole(request, 'admin', 'researcher');
      const { segment, ...query } = parse(listQuery, request.query, 'query');
      // An empty segment field means no segment, as an empty search means no search.
      return panel.listMembers(segment?.trim() ? { ...query, segment } : query);
    });

    scope.get('/api/v1/members/:externalId', async (request) => {
      requireRole(request, 'admin', 'researcher');
      const { externalId } = parse(memberParams, request.params, 'params');
      return { member: await panel.getMember(externalId) };
    });

    scope.get('/api/v1/member-attributes', async (request) => {
      requireRole(request, 'admin', 'researcher');
      const { values } = parse(catalogueQuery, request.query, 'query');
      return { attributes: await panel.attributeCatalogue(values === undefined ? {} : { values }) };
    });

    scope.post('/api/v1/segments/count', { schema: { body: jsonSchema(countBody) } }, async (request) => {
      requireRole(request, 'admin', 'researcher');
      const { expression } = parse(countBody, request.body);
      return { count: await panel.countSegment(expression) };
    });
  });
}
