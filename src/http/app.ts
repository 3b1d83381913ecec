import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import packageJson from '../../package.json' with { type: 'json' };
import type { Context } from '../context.ts';
import { errorBody, installErrorHandler } from './errors.ts';
import { registerOpenApi } from './openapi.ts';
import { registerAuditTrail } from './plugins/audit-trail.ts';
import { registerAuthentication } from './plugins/authenticate.ts';
import { apiKeyRoutes } from './routes/apikeys.ts';
import { auditRoutes } from './routes/audit.ts';
import { batchRoutes } from './routes/batch.ts';
import { exportRoutes } from './routes/export.ts';
import { memberRoutes } from './routes/members.ts';
import { portalRoutes } from './routes/portal.ts';
import { quotaRoutes } from './routes/quotas.ts';
import { respondRoutes } from './routes/respond.ts';
import { returnLinkRoutes } from './routes/return-links.ts';
import { sessionRoutes } from './routes/session.ts';
import { surveyRoutes } from './routes/surveys.ts';
import { unsubscribeRoutes } from './routes/unsubscribe.ts';
import { userRoutes } from './routes/users.ts';
import { waveRoutes } from './routes/waves.ts';
import { webRoutes } from './routes/web.ts';

const { version } = packageJson;

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
    // Access logs would double the cost of the hot paths; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: true,
    // Fastify's default of 100 answers longer path parameters with a 414 of its own format; our
    // routes bound each parameter themselves (zod) and answer the contract's error body.
    routerOptions: { maxParamLength: 1000 },
    // What the router refuses before any route runs answers the contract's error body too.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void reply
        .status(tooLong ? 414 : 400)
        .send(
          errorBody(
            tooLong ? 'URI_TOO_LONG' : 'REQUEST_INVALID',
            tooLong ? 'a part of the address is too long' : 'the address is not valid',
          ),
        );
    },
  });
  installErrorHandler(app);
  await registerOpenApi(app, version);
  await registerAuthentication(app, ctx);
  registerAuditTrail(app, ctx);
  app.get('/healthz', async () => ({ status: 'ok' }));
  sessionRoutes(app, ctx);
  userRoutes(app, ctx);
  apiKeyRoutes(app, ctx);
  auditRoutes(app, ctx);
  surveyRoutes(app, ctx);
  exportRoutes(app, ctx);
  respondRoutes(app, ctx);
  returnLinkRoutes(app, ctx);
  memberRoutes(app, ctx);
  quotaRoutes(app, ctx);
  waveRoutes(app, ctx);
  portalRoutes(app, ctx);
  unsubscribeRoutes(app, ctx);
  batchRoutes(app, ctx);
  webRoutes(app, ctx);
  return app;
}
