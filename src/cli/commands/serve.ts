import type { Command } from 'commander';
import { reloadJobsFile } from '../../batch/index.ts';
import { loadConfig } from '../../config/index.ts';
import { createContext } from '../../context.ts';
import { buildApp } from '../../http/app.ts';
import { EnqueteError } from '../../kernel/index.ts';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the platform: web console, API, respondent pages')
    .option('--port <n>', 'listen port (default PORT or 8080)')
    .option('--host <host>', 'listen address (default HOST or 127.0.0.1)')
    .option('--role <role>', 'all | web | scheduler', 'all')
    .action(async (opts: { port?: string; host?: string; role: string }) => {
      if (!['all', 'web', 'scheduler'].includes(opts.role)) {
        throw new EnqueteError(
          'SERVE_ROLE_INVALID',
          'invalid',
          `--role is all, web or scheduler, not ${opts.role}`,
        );
      }
      const config = loadConfig(
        {
          ...process.env,
          ...(opts.port ? { PORT: opts.port } : {}),
          ...(opts.host ? { HOST: opts.host } : {}),
        },
        process.cwd(),
      );
      const ctx = await createContext(config);
      const admin = await ctx.auth.ensureAdmin(config.adminPassword);
      const app = await buildApp(ctx);
      // The scheduler loop: on every `all` and `scheduler` process; several of them on one
      // PostgreSQL claim each tick once. A `web` process only serves (and queues API runs).
      // The distribution loop (first messages and sending, every 5 s) runs beside it; the
      // reminders are the built-in batch job `reminders`.
      const scheduling = opts.role !== 'web';
      if (!scheduling) ctx.batch.queueOnly();
      if (scheduling) {
        ctx.batch.start();
        ctx.distribution.start();
      }
      process.on('SIGHUP', () => {
        void (async () => {
          try {
            const { source, jobs } = await reloadJobsFile(ctx.batch, config);
            ctx.log.info({ path: source, jobs: jobs.length }, 'jobs reloaded');
          } catch (error) {
            ctx.log.error({ err: error }, 'jobs not reloaded; the previous list stays');
          }
        })();
      });
      // Everything stops at once: the listener closes, the launcher starts nothing more and gives
      // its running attempts the grace, and a request still open when the grace is over (a slow
      // upload, say) is cut, so a slow client cannot hold the process past its grace.
      const shutdown = async (signal: NodeJS.Signals) => {
        ctx.log.info({ signal, graceMs: config.stopGraceMs }, 'stopping');
        const cut = setTimeout(() => app.server.closeAllConnections(), config.stopGraceMs);
        await Promise.all([
          app.close().finally(() => clearTimeout(cut)),
          scheduling ? ctx.batch.stop() : undefined,
          scheduling ? ctx.distribution.stop() : undefined,
        ]);
        await ctx.db.close();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      if (admin?.generated) {
        process.stdout.write(
          `\nFirst start: created the admin ${admin.email}\n  password: ${admin.password}\n` +
            '  (shown only this once; sign in, then change it on your account page: your e-mail at the top right)\n\n',
        );
      } else if (admin) {
        process.stdout.write(`First start: created the admin ${admin.email} with ENQUETE_ADMIN_PASSWORD\n`);
      }
      process.stdout.write(`enquete listening on http://${config.host}:${port} (role ${opts.role})\n`);
      await new Promise(() => {});
    });
}
