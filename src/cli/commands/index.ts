import type { Command } from 'commander';
import { migrateCommands } from './migrate.ts';
import { serveCommand } from './serve.ts';

/** Every CLI command, registered in one place. */
export function registerCommands(program: Command): void {
  serveCommand(program);
  migrateCommands(program);
}
