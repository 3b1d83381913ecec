import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { withContext } from './context.ts';

/**
 * The commands that change something (or take data out) and so go into the audit log, as the
 * API's changes do. `user add` and `apikey create|revoke` are audited by the auth module itself.
 */
const audited = new Set([
  'survey import',
  'survey publish',
  'members import',
  'wave create',
  'quota add',
  'reminders run',
  'jobs run',
  'jobs backfill',
  'jobs pause',
  'jobs resume',
  'export',
  'demo',
]);

/** `wave create` for the `create` command under `wave`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Who ran it: the operating system user, as `cli:<name>`. */
function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * Records a command that succeeded: `cli survey publish` by `cli:<os user>`, its arguments (and
 * its `--survey`/`--wave`) as the target. Option values are left out: they may hold text a person
 * wrote or secrets.
 *
 * @example
 * program.hook('postAction', (_program, command) => auditCommand(command));
 */
export async function auditCommand(command: Command): Promise<void> {
  const path = pathOf(command);
  if (!audited.has(path)) return;
  const opts = command.opts<{ survey?: string; wave?: string }>();
  const target = [...command.args, opts.survey, opts.wave].filter((v) => typeof v === 'string' && v !== '');
  await withContext((ctx) =>
    ctx.auth.audit({
      actor: actor(),
      action: `cli ${path}`,
      target: target.length > 0 ? target.join(' ') : null,
      ip: null,
    }),
  );
}
