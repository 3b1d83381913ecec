import type { Command } from 'commander';
import { apiKeyCommands } from './apikey.ts';
import { demoCommand } from './demo.ts';
import { exportCommand } from './export.ts';
import { jobsCommands } from './jobs.ts';
import { memberCommands } from './members.ts';
import { migrateCommands } from './migrate.ts';
import { quotaCommands } from './quota.ts';
import { reminderCommands } from './reminders.ts';
import { serveCommand } from './serve.ts';
import { surveyCommands } from './survey.ts';
import { userCommands } from './user.ts';
import { waveCommands } from './wave.ts';

/** Every CLI command, registered in one place. */
export function registerCommands(program: Command): void {
  serveCommand(program);
  migrateCommands(program);
  exportCommand(program);
  demoCommand(program);
  userCommands(program);
  apiKeyCommands(program);
  memberCommands(program);
  jobsCommands(program);
  waveCommands(program);
  reminderCommands(program);
  surveyCommands(program);
  quotaCommands(program);
}
