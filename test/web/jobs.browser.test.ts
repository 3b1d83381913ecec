import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import type { Db } from '../../src/db/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { assertWebBuildFresh, launchBrowser, watchProblems } from '../helpers/browser.ts';
import { testDb } from '../helpers/db.ts';

const jobsYaml = `
jobs:
  - name: nightly
    description: builds the warehouse
    cmd: 'echo "built for $DATE"'
    schedule: '30 2 * * *'
    timezone: Asia/Tokyo
  - name: slow
    cmd: 'echo started; sleep 30'
  - name: chatty
    cmd: 'seq 1 12000'
`;

const admin = { email: 'admin@localhost', password: 'jobs-browser-admin-pw' };

async function signIn(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('E-mail').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Surveys' }).waitFor();
}

describe('console jobs pages', () => {
  let dir: string;
  let db: Db;
  let ctx: Context;
  let app: FastifyInstance;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let problems: string[];

  beforeAll(async () => {
    assertWebBuildFresh();
    dir = await mkdtemp(join(tmpdir(), 'enquete-jobs-browser-'));
    await writeFile(join(dir, 'jobs.yaml'), jobsYaml);
    const config = loadConfig(
      { ENQUETE_DATA_DIR: dir, ENQUETE_LOG_LEVEL: 'silent', ENQUETE_JOBS: join(dir, 'jobs.yaml') },
      dir,
    );
    db = await testDb('sqlite');
    ctx = await createContext(config, { db });
    app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
    await ctx.auth.ensureAdmin(admin.password);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ctx?.batch.stop();
    await app?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    context.setDefaultTimeout(10_000);
    problems = watchProblems(context, baseUrl);
  });
  afterEach(async () => {
    await context.close();
  });
  const unexpected = () => problems.filter((p) => !p.includes('status of 401'));

  it('lists the jobs, runs one for a date and shows its log, cancels a running one', async () => {
    const page = await context.newPage();
    await signIn(page, baseUrl);
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();

    const row = page.locator('tr[data-job="nightly"]');
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual([
      'nightlybuilds the warehouse',
      'POST /batch/nightly',
      'every day at 02:3030 2 * * *',
      'Asia/Tokyo',
    ]);
    expect(cells[4]).not.toBe('—');
    expect(cells.slice(5, 7)).toEqual(['never', 'active']);
    expect(await page.locator('tr[data-job="slow"] td').nth(2).textContent()).toBe('on demand');

    await row.getByRole('link', { name: 'nightly' }).click();
    await page.getByRole('heading', { name: 'nightly' }).waitFor();
    await page.getByLabel('Date').fill('2026-03-01');
    await page.getByRole('button', { name: 'Run now' }).click();

    const log = page.getByRole('log', { name: 'run log' });
    await log.locator('[data-stream="stdout"]', { hasText: 'built for 20260301' }).waitFor();
    const runRow = page.locator('tr[data-run]').first();
    await runRow.locator('[data-status="succeeded"]').waitFor();
    const runId = await runRow.getAttribute('data-run');
    expect(new URL(page.url()).search).toBe(`?run=${runId}`);
    const runCells = await runRow.locator('td').allTextContents();
    expect(runCells.slice(0, 6)).toEqual([runId, 'succeeded', 'manual', '20260301', '1/1', '0']);
    expect(await ctx.batch.run(runId!)).toMatchObject({ status: 'succeeded', date: '20260301' });
    await page.locator('[data-log-run] [data-status="succeeded"]').waitFor();

    // A running run: its log follows, and Cancel stops it.
    await page.goto(`${baseUrl}/jobs/slow`);
    await page.getByRole('heading', { name: 'slow' }).waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    await log.locator('[data-stream="stdout"]', { hasText: 'started' }).waitFor();
    await page.locator('[data-log-run] [data-status="running"]').waitFor();
    await page.locator('tr[data-run]').first().getByRole('button', { name: 'Cancel' }).click();
    await page.locator('tr[data-run]').first().locator('[data-status="cancelled"]').waitFor();
    await page.locator('[data-log-run] [data-status="cancelled"]').waitFor();
    expect(unexpected()).toEqual([]);
  });

  it('shows the last 5,000 lines of a long log and downloads the whole of it', async () => {
    const page = await context.newPage();
    await signIn(page, baseUrl);
    await page.goto(`${baseUrl}/jobs/chatty`);
    await page.getByRole('heading', { name: 'chatty' }).waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.locator('[data-log-run] [data-status="succeeded"]').waitFor({ timeout: 20_000 });
    const runId = await page.locator('[data-log-run]').getAttribute('data-log-run');
    const stored = await ctx.batch.logs(runId!, { limit: 10_000 });
    const total =
      stored.length + (await ctx.batch.logs(runId!, { after: stored.at(-1)!.seq, limit: 10_000 })).length;
    expect(total).toBeGreaterThan(12_000);

    const log = page.getByRole('log', { name: 'run log' });
    await expect.poll(() => log.locator('.log-line').count()).toBe(5_000);
    const stdout = await log.locator('[data-stream="stdout"]').allTextContents();
    expect(stdout.at(-1)).toMatch(/ 12000$/);
    await page
      .getByText(`${(total - 5_000).toLocaleString('en-US')} earlier lines are not shown here.`)
      .waitFor();

    // The finished run's log opened afresh: its last 5,000 lines come in one read of the tail.
    const again = await context.newPage();
    const logReads: string[] = [];
    again.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/logs')) logReads.push(r.url());
    });
    await again.goto(`${baseUrl}/jobs/chatty?run=${runId}`);
    const reopened = again.getByRole('log', { name: 'run log' });
    await expect.poll(() => reopened.locator('.log-line').count()).toBe(5_000);
    await again
      .getByText(`${(total - 5_000).toLocaleString('en-US')} earlier lines are not shown here.`)
      .waitFor();
    expect((await reopened.locator('[data-stream="stdout"]').allTextContents()).at(-1)).toMatch(/ 12000$/);
    expect(logReads.map((u) => new URL(u).search)).toEqual(['?tail=5000']);
    await again.close();

    const link = page.getByRole('link', { name: 'Download the whole log' });
    const href = await link.getAttribute('href');
    expect(href).toBe(`/api/v1/jobs/chatty/runs/${runId}/log.txt`);
    const file = await page.request.get(`${baseUrl}${href}`);
    expect(file.status()).toBe(200);
    const lines = (await file.text()).split('\n').filter((l) => / stdout /.test(l));
    expect(lines.map((l) => l.split(' stdout ')[1])).toEqual(
      Array.from({ length: 12_000 }, (_, i) => String(i + 1)),
    );
    expect(unexpected()).toEqual([]);
  });

  it('backfills a range of days, one run per day', async () => {
    const page = await context.newPage();
    await signIn(page, baseUrl);
    await page.goto(`${baseUrl}/jobs/nightly`);
    await page.getByRole('heading', { name: 'Backfill' }).waitFor();
    await page.getByLabel('From', { exact: true }).fill('2026-02-01');
    await page.getByLabel('To', { exact: true }).fill('2026-02-03');
    await page.getByRole('button', { name: 'Backfill' }).click();
    const backfilled = page.locator('tr[data-run]', { hasText: 'backfill' });
    await backfilled.nth(2).waitFor();
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('tr[data-run]')].filter(
          (r) => r.textContent?.includes('backfill') && r.querySelector('[data-status="succeeded"]'),
        ).length === 3,
    );
    const dates = await backfilled.evaluateAll((rows) => rows.map((r) => r.children[3]?.textContent));
    expect(dates.sort()).toEqual(['20260201', '20260202', '20260203']);
    expect(unexpected()).toEqual([]);
  });

  it('pauses every job with a reason, shown as text, and resumes them', async () => {
    const page = await context.newPage();
    await signIn(page, baseUrl);
    await page.goto(`${baseUrl}/jobs`);
    await page.getByRole('button', { name: 'Pause all' }).click();
    await page.getByLabel('Reason').fill('deploy <b>tonight</b>');
    await page.getByRole('button', { name: 'Confirm pause' }).click();
    await page.getByRole('button', { name: 'Resume all' }).waitFor();

    for (const name of ['nightly', 'slow']) {
      const state = page.locator(`tr[data-job="${name}"] [data-paused]`);
      expect(await state.getAttribute('data-paused')).toBe('yes');
      expect(await state.textContent()).toBe('paused (all jobs) deploy <b>tonight</b>');
    }
    expect(await page.getByRole('status').textContent()).toContain(
      'Every job is paused: deploy <b>tonight</b>.',
    );
    expect(await page.locator('tr[data-job="nightly"] b').count()).toBe(0);
    expect((await ctx.batch.listJobs()).map((j) => [j.name, j.pausedBy, j.pausedReason])).toEqual([
      ['nightly', 'all', 'deploy <b>tonight</b>'],
      ['slow', 'all', 'deploy <b>tonight</b>'],
      ['chatty', 'all', 'deploy <b>tonight</b>'],
      // The built-in job, under the file's jobs.
      ['reminders', 'all', 'deploy <b>tonight</b>'],
    ]);

    await page.getByRole('button', { name: 'Resume all' }).click();
    await page.getByRole('button', { name: 'Pause all' }).waitFor();
    expect(await page.locator('tr[data-job="nightly"] [data-paused]').getAttribute('data-paused')).toBe('no');

    // One job alone.
    await page.locator('tr[data-job="slow"]').getByRole('button', { name: 'Pause' }).click();
    await page.locator('tr[data-job="slow"]').getByLabel('Reason').fill('disk full');
    await page.locator('tr[data-job="slow"]').getByRole('button', { name: 'Confirm pause' }).click();
    await page.locator('tr[data-job="slow"]').getByRole('button', { name: 'Resume' }).waitFor();
    expect(await page.locator('tr[data-job="slow"] [data-paused]').textContent()).toBe('paused disk full');
    expect(await page.locator('tr[data-job="nightly"] [data-paused]').textContent()).toBe('active');
    expect((await ctx.batch.job('slow')).pausedBy).toBe('job');
    await page.screenshot({ path: '/tmp/jobs.png', fullPage: true });
    expect(unexpected()).toEqual([]);
  });

  it('reloads jobs.yaml from the page: a new job appears; a broken file is refused and the list stays', async () => {
    const page = await context.newPage();
    await signIn(page, baseUrl);
    await page.goto(`${baseUrl}/jobs`);
    await page.locator('tr[data-job="nightly"]').waitFor();
    await writeFile(join(dir, 'jobs.yaml'), `${jobsYaml}  - { name: added-later, cmd: 'true' }\n`);
    await page.getByRole('button', { name: 'Reload jobs.yaml' }).click();
    await page.locator('tr[data-job="added-later"]').waitFor();
    expect(await page.locator('.reload-jobs [role="status"]').textContent()).toBe(
      `Reloaded ${join(dir, 'jobs.yaml')}: 5 jobs.`,
    );

    await writeFile(join(dir, 'jobs.yaml'), 'jobs:\n  - { name: broken, cmd: x, timeout: soon }\n');
    await page.getByRole('button', { name: 'Reload jobs.yaml' }).click();
    const alert = page.locator('.reload-jobs [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('BATCH_JOBS_INVALID');
    expect(await alert.textContent()).toContain('timeout');
    expect((await ctx.batch.listJobs()).map((j) => j.name)).toEqual([
      'nightly',
      'slow',
      'chatty',
      'added-later',
      'reminders',
    ]);
    await writeFile(join(dir, 'jobs.yaml'), jobsYaml);
    // The refused reload is the one failed request the browser reports.
    expect(unexpected().map((p) => p.includes('status of 400'))).toEqual([true]);
  });
});
