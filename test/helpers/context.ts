import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, type ContextOverrides, createContext } from '../../src/context.ts';
import type { Dialect } from '../../src/db/index.ts';
import { testDb } from './db.ts';

/**
 * A fully wired context on a fresh database of the dialect, in a temp data directory, with a
 * silent logger. `close()` drops the database.
 */
export async function testContext(
  dialect: Dialect,
  overrides: Omit<ContextOverrides, 'db'> & { env?: Record<string, string> } = {},
): Promise<Context & { close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'enquete-test-'));
  const db = await testDb(dialect);
  const config = loadConfig({ ENQUETE_DATA_DIR: dir, ...overrides.env }, dir);
  const ctx = await createContext(config, { log: pino({ level: 'silent' }), ...overrides, db });
  return { ...ctx, close: () => db.close() };
}
