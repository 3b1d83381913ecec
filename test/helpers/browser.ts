import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import type { Dialect } from '../../src/db/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { defaultWebDist } from '../../src/http/routes/web.ts';
import { testDb } from './db.ts';

/** Debian's chromium (`apt-get install chromium`); `ENQUETE_CHROMIUM` names another binary. */
export function chromiumPath(): string {
  return process.env['ENQUETE_CHROMIUM'] ?? '/usr/bin/chromium';
}

/**
 * Launches headless Chromium through playwright-core (no browser download: the system's binary).
 *
 * @example
 * const browser = await launchBrowser();
 * const page = await browser.newPage();
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: apt-get install chromium (or set ENQUETE_CHROMIUM)`,
    );
  }
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  ctx: Context;
  app: FastifyInstance;
  admin: { email: string; password: string };
  close(): Promise<void>;
}

/**
 * The whole platform on a free port, as `enquete serve` runs it (`buildApp(ctx)` + `listen`), on a
 * fresh database of the given dialect and a throwaway data directory, with an admin account.
 * Needs the web build (`npm run build:web`).
 *
 * @example
 * const server = await startServer('sqlite');
 * await page.goto(`${server.baseUrl}/login`);
 * await server.close();
 */
export async function startServer(dialect: Dialect = 'sqlite'): Promise<TestServer> {
  assertWebBuildFresh();
  const dataDir = await mkdtemp(join(tmpdir(), 'enquete-browser-'));
  const config = loadConfig({ ENQUETE_DATA_DIR: dataDir, ENQUETE_LOG_LEVEL: 'silent' }, dataDir);
  const db = await testDb(dialect);
  const ctx = await createContext(config, { db });
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  const admin = { email: 'admin@localhost', password: 'browser-test-admin-pw' };
  await ctx.auth.ensureAdmin(admin.password);
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    ctx,
    app,
    admin,
    close: async () => {
      await app.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects what a page reports as broken (uncaught exceptions, console errors, failed requests to
 * our own server), so a test can assert that a flow ran clean.
 */
export function watchProblems(context: BrowserContext, baseUrl: string): string[] {
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('requestfailed', (request) => {
      // A navigation away aborts requests in flight; that is not a failure of the page.
      if (request.url().startsWith(baseUrl) && request.failure()?.errorText !== 'net::ERR_ABORTED') {
        problems.push(`requestfailed: ${request.url()} ${request.failure()?.errorText}`);
      }
    });
  };
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
  return problems;
}

/**
 * A session cookie for HTTP calls outside the browser (e.g. downloading the export).
 *
 * @example
 * const cookie = await signIn(server, server.admin);
 * await fetch(`${server.baseUrl}/api/v1/surveys/${id}/export.csv`, { headers: { cookie } });
 */
export async function signIn(server: TestServer, who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${server.baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(who),
  });
  if (res.status !== 200)
    throw new Error(`sign-in of ${who.email} answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('enquete_session='));
  if (!cookie) throw new Error('sign-in set no enquete_session cookie');
  return cookie.split(';')[0]!;
}

/**
 * Refuses to test a missing or stale build: the pages in web/dist must be newer than every source
 * file of web/. (Building here would race when several test files start at once.)
 */
export function assertWebBuildFresh(): void {
  const built = join(defaultWebDist, 'respond.html');
  if (!existsSync(built)) throw new Error(`the web pages are not built (${built}): run npm run build:web`);
  const builtAt = statSync(built).mtimeMs;
  const webDir = dirname(defaultWebDist);
  const newer = readdirSync(webDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !join(e.parentPath, e.name).startsWith(defaultWebDist))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => statSync(file).mtimeMs > builtAt);
  if (newer.length > 0) {
    throw new Error(
      `the web build is older than ${newer[0]}${newer.length > 1 ? ` and ${newer.length - 1} more` : ''}: run npm run build:web`,
    );
  }
}
