import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Context } from '../context.ts';
import { installErrorHandler } from './errors.ts';

/**
 * The Fastify application, without `listen`: tests drive it through `app.inject()`.
 *
 * @example
 * const app = await buildApp(ctx);
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
export async function buildApp(ctx: Context): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    disableRequestLogging: true,
    trustProxy: true,
  });
  installErrorHandler(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}
