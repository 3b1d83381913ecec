import type { Command } from 'commander';
import { createAuthService, type User } from '../../auth/index.ts';
import { output, withContext } from '../context.ts';

/** Reads a password piped in (`--password-stdin`), without its final line break. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function describeUser(u: User): string {
  const client = u.client ? ` client ${u.client}` : '';
  const name = u.name ? ` "${u.name}"` : '';
  return `${u.id}  ${u.email}${name}  ${u.role}${client}${u.disabled ? '  (disabled)' : ''}`;
}

/**
 * `enquete user add EMAIL --role …` and `enquete user list`.
 *
 * @example
 * enquete user add ann@example.org --role client --client acme   # prints a one-time password
 */
export function userCommands(program: Command): void {
  const user = program.command('user').description('console accounts');
  user
    .command('add')
    .description('create a console user; prints a generated one-time password unless one is piped in')
    .argument('<email>', 'e-mail address, the login name')
    .requiredOption('--role <role>', 'admin | researcher | client')
    .option('--client <name>', 'the client whose surveys a client user sees (required for role client)')
    .option('--name <name>', 'display name')
    .option('--password-stdin', 'read the password from standard input instead of generating one')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        email: string,
        opts: { role: string; client?: string; name?: string; passwordStdin?: boolean; json?: boolean },
      ) => {
        const password = opts.passwordStdin ? await readStdin() : undefined;
        await withContext(async (ctx) => {
          const auth = createAuthService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids });
          const created = await auth.createUser(
            {
              email,
              role: opts.role,
              client: opts.client ?? null,
              name: opts.name ?? null,
              ...(password === undefined ? {} : { password }),
            },
            { actor: 'cli' },
          );
          const shown = created.generated ? created.password : null;
          output(opts.json, { user: created.user, password: shown }, () =>
            [
              `created ${describeUser(created.user)}`,
              ...(shown ? [`one-time password (shown only now): ${shown}`] : []),
            ].join('\n'),
          );
        });
      },
    );
  user
    .command('list')
    .description('list console users')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const users = await createAuthService({ db: ctx.db, clock: ctx.clock, ids: ctx.ids }).listUsers();
        output(opts.json, { users }, () => (users.length ? users.map(describeUser).join('\n') : 'no users'));
      });
    });
}
