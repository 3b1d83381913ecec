import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { createContext } from '../../context.ts';
import { buildApp } from '../../http/app.ts';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the platform: web console, API, respondent pages')
    .option('--port <n>', 'listen port (default PORT or 8080)')
    .option('--host <host>', 'listen address (default HOST or 127.0.0.1)')
    .option('--role <role>', 'all | web | scheduler', 'all')
    .action(async (opts: { port?: string; host?: string; role: string }) => {
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
      const shutdown = async () => {
        await app.close();
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
          `\nFirst start: created the admin ${admin.email}\n  one-time password: ${admin.password}\n` +
            '  (shown only now; sign in and change it, or set ENQUETE_ADMIN_PASSWORD)\n\n',
        );
      } else if (admin) {
        process.stdout.write(`First start: created the admin ${admin.email} with ENQUETE_ADMIN_PASSWORD\n`);
      }
      process.stdout.write(`enquete listening on http://${config.host}:${port} (role ${opts.role})\n`);
      await new Promise(() => {});
    });
}
