import type { Command } from 'commander';
import { type ApiKeyInfo, createAuthService } from '../../auth/index.ts';
import { output, withContext } from '../context.ts';

function describeKey(k: ApiKeyInfo): string {
  const client = k.client ? ` client ${k.client}` : '';
  const state = k.revokedAt ? `revoked ${k.revokedAt}` : `last used ${k.lastUsedAt ?? 'never'}`;
  return `${k.id}  ${k.prefix}…  ${k.name}  ${k.role}${client}  created ${k.createdAt}  ${state}`;
}

/**
 * `enquete apikey create|list|revoke`: keys for scripts and the member portal.
 *
 * @example
 * enquete apikey create portal --role portal   # prints the key once
 */
export function apiKeyCommands(program: Command): void {
  const apikey = program.command('apikey').description('API keys for scripts and the member portal');
  apikey
    .command('create')
    .description('create an API key and print it (the only time it is shown)')
    .argument('<name>', 'what the key is for, e.g. "nightly export"')
    .requiredOption('--role <role>', 'admin | researcher | client | portal')
    .option('--client <name>', 'the client whose surveys a client key sees (required for role client)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { role: string; client?: string; json?: boolean }) => {
      await withContext(async (ctx) => {
        const auth = createAuthService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
        const created = await auth.createApiKey({
          name,
          role: opts.role,
          client: opts.client ?? null,
          actor: 'cli',
        });
        output(opts.json, created, () =>
          [`created ${describeKey(created.apiKey)}`, 'the key, shown only now:', created.key].join('\n'),
        );
      });
    });
  apikey
    .command('list')
    .description('list API keys (never the keys themselves)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const apiKeys = await createAuthService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids }).listApiKeys();
        output(opts.json, { apiKeys }, () =>
          apiKeys.length ? apiKeys.map(describeKey).join('\n') : 'no API keys',
        );
      });
    });
  apikey
    .command('revoke')
    .description('revoke an API key (running servers refuse it within 5 s)')
    .argument('<id>', 'the key id (ak_…), as `apikey list` shows it')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const auth = createAuthService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
        const apiKey = await auth.revokeApiKey(id, { actor: 'cli' });
        output(opts.json, { apiKey }, () => `revoked ${describeKey(apiKey)}`);
      });
    });
}
