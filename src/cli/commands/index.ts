import type { Command } from 'commander';
import { apiKeyCommands } from './apikey.ts';
import { migrateCommands } from './migrate.ts';
import { serveCommand } from './serve.ts';
import { userCommands } from './user.ts';

/** Every CLI command, registered in one place. */
export function registerCommands(program: Command): void {
  serveCommand(program);
  migrateCommands(program);
  userCommands(program);
  apiKeyCommands(program);
}
