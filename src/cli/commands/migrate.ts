import type { Command } from 'commander';
import { dumpSchema } from '../../db/index.ts';
import { withContext } from '../context.ts';

export function migrateCommands(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema to the latest migration')
    .action(async () => {
      // createContext migrates; report where the schema now stands.
      await withContext(async (ctx) => {
        process.stdout.write(`database (${ctx.db.dialect}) is at the latest migration\n`);
      });
    });
  program
    .command('schema-dump')
    .description('print the live schema (committed as db/schema.<dialect>.sql)')
    .action(async () => {
      await withContext(async (ctx) => {
        process.stdout.write(await dumpSchema(ctx.db));
      });
    });
}
