import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';

const tagOf: [RegExp, string][] = [
  [/^\/api\/v1\/(session|me)(\/|$)/, 'session'],
  [/^\/api\/v1\/(users|apikeys|audit)/, 'access'],
  [/^\/api\/v1\/(quotas|surveys\/:id\/quotas)/, 'distribution'],
  [/^\/api\/v1\/surveys/, 'surveys'],
  [/^\/api\/v1\/(members|member-imports|member-attributes|segments)/, 'panel'],
  [/^\/api\/v1\/respond|^\/o\/|^\/s\//, 'respondents'],
  [/^\/api\/v1\/(jobs|runs)|^\/batch\//, 'batch'],
  [/^\/api\/v1\/(waves|outbox)|^\/r\/|^\/u\//, 'distribution'],
  [/^\/api\/v1\/portal\//, 'portal'],
];

/**
 * Registers the OpenAPI document (served at `/api/docs`). Routes validate their input with zod
 * (see validate.ts); a route may carry `schema.body` as JSON Schema made from the same zod
 * schema with {@link jsonSchema}, for the document only, so Fastify's own validator is turned off.
 * Must run before any route is added.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url;
    const tag = tagOf.find(([re]) => re.test(url))?.[1];
    const isApi = url.startsWith('/api/v1/') || url.startsWith('/batch/');
    const open = url === '/api/v1/session' || url.startsWith('/api/v1/respond/');
    route.schema = {
      ...route.schema,
      ...(tag ? { tags: [tag] } : {}),
      ...(isApi && !open ? { security: [{ bearer: [] }, { session: [] }] } : {}),
      ...(isApi ? {} : { hide: true }),
    } as RouteOptions['schema'];
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'enquete API',
        version,
        description: 'Survey research platform. Errors: {"error": {"code", "message", "details"?}}.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key (enq_…)' },
          session: { type: 'apiKey', in: 'cookie', name: 'enquete_session' },
        },
      },
    },
  });
  app.get('/api/docs', { schema: { hide: true } }, async () => app.swagger());
}

/** JSON Schema of a zod schema, for `schema.body` in the OpenAPI document. */
export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
}
