import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Context, createContext } from '../../src/context.ts';
import type { Dialect } from '../../src/db/index.ts';
import { defaultTemplate } from '../../src/distribution/email/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { parseMessage } from '../distribution/email/mime.ts';
import { type SmtpSink, startSmtpSink } from '../distribution/email/smtp-sink.ts';
import { panelCsv, panelSurvey } from '../distribution/fixture.ts';
import { assertWebBuildFresh, launchBrowser, watchProblems } from '../helpers/browser.ts';
import { dialects, testDb } from '../helpers/db.ts';

// The panel of test/distribution/fixture.ts, by hand:
//   region = 'Kanto'  → M01, M02, M03, M05, M08 (5), every one with an e-mail address
//   region = 'Kansai' → M04 (no e-mail), M06, M07 (name with markup), M09, M10: 4 addresses
const kantoAddresses = ['m01', 'm02', 'm03', 'm05', 'm08'].map((m) => `${m}@example.org`);
const kansaiAddresses = ['m06', 'm07', 'm09', 'm10'].map((m) => `${m}@example.org`);
const survey = { ...panelSurvey, completedHtml: '<h3>Thank you, that was all.</h3>' };

const admin = { email: 'admin@localhost', password: 'waves-browser-admin-pw' };
const viewer = { email: 'viewer@acme.example', password: 'waves-browser-viewer-pw' };

interface MailServer {
  baseUrl: string;
  ctx: Context;
  close(): Promise<void>;
}

/** A port that was free a moment ago: links in messages need the address before the server listens. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The platform as `enquete serve` wires it, on a real port whose address is ENQUETE_PUBLIC_URL,
 * with SMTP_URL pointing at the sink (or none), the fixture's panel imported, an admin and a
 * client user of `acme`.
 */
async function startMailServer(dialect: Dialect, smtpUrl: string | null): Promise<MailServer> {
  assertWebBuildFresh();
  const dataDir = await mkdtemp(join(tmpdir(), 'enquete-waves-browser-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ENQUETE_DATA_DIR: dataDir,
    ENQUETE_LOG_LEVEL: 'silent',
    ENQUETE_PUBLIC_URL: baseUrl,
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
  };
  const db = await testDb(dialect);
  const ctx = await createContext(loadConfig(env, dataDir), { db });
  const app: FastifyInstance = await buildApp(ctx);
  await app.listen({ port, host: '127.0.0.1' });
  await ctx.auth.ensureAdmin(admin.password);
  await ctx.auth.createUser({ ...viewer, role: 'client', client: 'acme' }, { actor: 'test' });
  const imported = await ctx.panel.importMembers(Readable.from([panelCsv]));
  expect(imported.inserted).toBe(10);
  return {
    baseUrl,
    ctx,
    close: async () => {
      await app.close();
      await ctx.distribution.stop();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function publish(ctx: Context, client: string | null = null): Promise<string> {
  const created = await ctx.surveys.importSurvey({
    source: JSON.stringify(survey),
    format: 'json',
    client,
    publish: true,
    actor: 'test',
  });
  return created.id;
}

async function signIn(page: Page, baseUrl: string, who: { email: string; password: string }) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Surveys' }).waitFor();
}

/** The figure of one status row of the wave page's progress (`reached` or `now`). */
function progressCell(page: Page, status: string, column: 'reached' | 'now') {
  return page
    .getByRole('table', { name: 'Progress by status' })
    .locator(`tr[data-status="${status}"] td[data-${column}]`);
}

async function progressFigures(page: Page, column: 'reached' | 'now'): Promise<Record<string, number>> {
  const rows = page.getByRole('table', { name: 'Progress by status' }).locator('tbody tr');
  const out: Record<string, number> = {};
  for (const row of await rows.all()) {
    const status = (await row.getAttribute('data-status'))!;
    out[status] = Number(await row.locator(`td[data-${column}]`).getAttribute(`data-${column}`));
  }
  return out;
}

describe.each(dialects())('console waves, outbox and quotas on %s', (dialect) => {
  let sink: SmtpSink;
  let server: MailServer;
  let browser: Browser;
  let context: BrowserContext;
  let problems: string[];

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startMailServer(dialect, sink.url);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sink?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    context.setDefaultTimeout(15_000);
    problems = watchProblems(context, server.baseUrl);
  });
  afterEach(async () => {
    await context.close();
  });

  it('creates an e-mail wave in the form, follows the link of the message to completion, and the wave page and the quota follow', {
    timeout: 120_000,
  }, async () => {
    const { ctx, baseUrl } = server;
    const surveyId = await publish(ctx);
    const page = await context.newPage();
    await signIn(page, baseUrl, admin);

    // A quota on the survey page: one cell per region, by the member's attribute.
    await page.goto(`${baseUrl}/surveys/${surveyId}`);
    await page.getByRole('heading', { name: 'Sleep & work' }).waitFor();
    await page.getByRole('button', { name: 'Add a quota' }).click();
    const quotaForm = page.getByRole('form', { name: 'New quota' });
    await quotaForm.getByLabel('Quota name').fill('Region');
    await quotaForm.getByLabel('Label of cell 1').fill('Kanto');
    await quotaForm.getByLabel('Member condition of cell 1').fill("region = 'Kanto'");
    await quotaForm.getByLabel('Limit of cell 1').fill('3');
    await quotaForm.getByRole('button', { name: 'Add a cell' }).click();
    await quotaForm.getByLabel('Label of cell 2').fill('Kansai');
    // A mistake first: shown at its cell.
    await quotaForm.getByLabel('Member condition of cell 2').fill('region = ');
    await quotaForm.getByLabel('Limit of cell 2').fill('3');
    await quotaForm.getByRole('button', { name: 'Create quota' }).click();
    await quotaForm
      .locator('tr + tr [role="alert"]')
      .filter({ hasText: 'cells[1].memberCondition' })
      .waitFor();
    await quotaForm.getByLabel('Member condition of cell 2').fill("region = 'Kansai'");
    await quotaForm.getByRole('button', { name: 'Create quota' }).click();
    const quota = page.getByRole('table', { name: 'Quota Region' });
    await quota.waitFor();
    const cellCount = (label: string) => quota.locator(`tr[data-cell="${label}"] td[data-count]`);
    expect(await cellCount('Kanto').getAttribute('data-count')).toBe('0');
    expect(await cellCount('Kansai').getAttribute('data-count')).toBe('0');
    expect(await quota.locator('tr[data-cell="Kanto"] td[data-limit]').getAttribute('data-limit')).toBe('3');

    // The new-wave form: the default invitation shown, the segment counted as it is typed.
    await page.locator('main').getByRole('link', { name: 'Waves', exact: true }).click();
    await page.getByRole('heading', { name: 'Waves', exact: true }).waitFor();
    expect(new URL(page.url()).search).toBe(`?survey=${surveyId}`);
    await page.getByText('This survey has no waves yet.').waitFor();
    await page.getByRole('button', { name: 'New wave' }).click();
    const form = page.getByRole('form', { name: 'New wave' });
    expect(await form.getByLabel('Survey', { exact: true }).inputValue()).toBe(surveyId);
    expect(await form.getByLabel('Subject', { exact: true }).inputValue()).toBe(defaultTemplate.subject);
    expect(await form.getByLabel('Body', { exact: true }).inputValue()).toBe(defaultTemplate.body);
    expect(await form.getByRole('radio', { name: 'E-mail' }).isChecked()).toBe(true);

    const segment = form.getByLabel('Segment', { exact: true });
    await segment.fill("region = 'Kanto' and");
    await form.locator('[role="alert"] strong[data-column]').waitFor();
    await segment.fill("region = 'Kanto'");
    await form.locator('output[data-count="5"]').waitFor();
    await form.getByLabel('Name (optional)', { exact: true }).fill('April <first>');
    await form.getByRole('button', { name: 'Create wave' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'created' });
    await notice.locator('[data-invited="5"]').waitFor();
    const waves = await ctx.distribution.listWaves({ surveyId });
    expect(waves).toHaveLength(1);
    const wave = waves[0]!;
    expect([wave.segment, wave.channel, wave.name, wave.invited]).toEqual([
      "region = 'Kanto'",
      'email',
      'April <first>',
      5,
    ]);
    // The default text was not sent as a custom template, so the wave has the default.
    expect([wave.subject, wave.body]).toEqual([defaultTemplate.subject, defaultTemplate.body]);
    await page.getByRole('table', { name: 'Waves' }).locator(`tr[data-wave="${wave.id}"]`).waitFor();

    // The wave page before anything is sent: five invited, nothing sent.
    await notice.getByRole('link', { name: 'April <first>' }).click();
    await page.getByRole('heading', { name: 'April <first>' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/waves/${wave.id}`);
    await progressCell(page, 'invited', 'reached').and(page.locator('[data-reached="5"]')).waitFor();
    expect(await progressFigures(page, 'reached')).toEqual({
      invited: 5,
      sent: 0,
      send_failed: 0,
      opened: 0,
      started: 0,
      completed: 0,
      screened_out: 0,
      quota_full: 0,
    });
    expect(await page.locator('[data-sending="false"]').count()).toBe(0);

    // The loop's pass queues and sends the five messages through SMTP.
    const report = await ctx.distribution.tick();
    expect([report.queued, report.send.sent]).toEqual([5, 5]);
    await sink.waitFor(5);
    expect(sink.messages.flatMap((m) => m.to).sort()).toEqual(kantoAddresses);

    // The open page follows without a reload.
    await progressCell(page, 'sent', 'reached').and(page.locator('[data-reached="5"]')).waitFor();
    const outbox = page.getByRole('table', { name: 'Outbox messages' });
    await expect.poll(() => outbox.locator('[data-status="sent"]').count(), { timeout: 15_000 }).toBe(5);
    expect(
      (
        await outbox.locator('tr[data-to]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-to')))
      ).sort(),
    ).toEqual(kantoAddresses);
    expect(await page.locator('dd[data-outbox-status="sent"]').textContent()).toBe('5');

    // The message as the SMTP server received it: the link to the survey.
    const received = sink.messages.find((m) => m.to.includes('m01@example.org'))!;
    const text = parseMessage(received.raw).text!;
    expect(text).toContain('Dear Aoki Ken,');
    const link = /Start here: (\S+)/.exec(text)?.[1];
    expect(link).toBeDefined();
    expect(link!.startsWith(`${baseUrl}/s/`)).toBe(true);
    expect(new URL(link!).searchParams.get('ch')).toBe('email');

    // The same message in the console's preview: text, and HTML in a sandboxed frame.
    await outbox.locator('tr[data-to="m01@example.org"]').getByRole('button').click();
    const preview = page.getByRole('region', { name: /^Message \d+$/ });
    expect(await preview.locator('dd[data-field="to"]').textContent()).toBe('m01@example.org');
    expect(await preview.locator('pre.message-text').textContent()).toBe(
      (await ctx.distribution.outbox({ waveId: wave.id })).messages.find((m) => m.to === 'm01@example.org')!
        .text,
    );
    expect(await preview.locator('pre.message-text').textContent()).toContain(link!);
    await preview.getByRole('tab', { name: 'HTML', exact: true }).click();
    const frame = preview.locator('iframe.message-frame');
    expect(await frame.getAttribute('sandbox')).toBe('');
    await page.frameLocator('iframe.message-frame').getByText('Aoki Ken', { exact: false }).first().waitFor();

    // The member follows the link and answers both pages.
    const respondent = await context.newPage();
    await respondent.goto(link!);
    await respondent.getByRole('spinbutton').fill('40');
    await respondent.getByRole('radio', { name: '2' }).check({ force: true });
    await respondent.getByRole('button', { name: 'Next' }).click();
    await respondent.locator('label.sd-rating__item').filter({ hasText: /^4$/ }).click();
    await respondent.getByRole('button', { name: 'Complete' }).click();
    await respondent.getByRole('heading', { name: 'Thank you, that was all.' }).waitFor();
    await respondent.close();

    // The wave page, still open, shows the completion.
    await progressCell(page, 'completed', 'reached').and(page.locator('[data-reached="1"]')).waitFor();
    expect(await progressFigures(page, 'reached')).toEqual({
      invited: 5,
      sent: 5,
      send_failed: 0,
      opened: 1,
      started: 1,
      completed: 1,
      screened_out: 0,
      quota_full: 0,
    });
    expect(await progressFigures(page, 'now')).toEqual({
      invited: 0,
      sent: 4,
      send_failed: 0,
      opened: 0,
      started: 0,
      completed: 1,
      screened_out: 0,
      quota_full: 0,
    });
    const byChannel = page.getByRole('table', { name: 'Progress by channel' });
    expect(await byChannel.locator('tbody tr').count()).toBe(1);
    expect(await byChannel.locator('tr[data-channel="email"] td').allTextContents()).toEqual([
      'email',
      '1',
      '1',
      '1',
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const day = page.getByRole('table', { name: 'Milestones per day' }).locator(`tr[data-date="${today}"]`);
    const series = async (key: string) => day.locator(`td[data-series="${key}"]`).textContent();
    expect([await series('sent'), await series('opened'), await series('completed')]).toEqual([
      '5',
      '1',
      '1',
    ]);

    // The survey page: the Kanto cell took the complete; its limit can change.
    await page.getByRole('link', { name: 'Sleep & work' }).click();
    await page.getByRole('heading', { name: 'Sleep & work' }).waitFor();
    await cellCount('Kanto').and(page.locator('[data-count="1"]')).waitFor();
    expect(await cellCount('Kansai').getAttribute('data-count')).toBe('0');
    await quota.getByLabel('Limit of Kanto').fill('1');
    await quota.locator('tr[data-cell="Kanto"]').getByRole('button', { name: 'Save' }).click();
    await quota.locator('tr[data-cell="Kanto"] .tag').filter({ hasText: 'full' }).waitFor();
    const stored = await ctx.distribution.quotas.list(surveyId);
    expect(stored.map((q) => q.cells.map((c) => [c.label, c.count, c.limit, c.full]))).toEqual([
      [
        ['Kanto', 1, 1, true],
        ['Kansai', 0, 3, false],
      ],
    ]);

    // The signed-out console's GET /api/v1/me answers 401, quota and segment mistakes 400, by
    // design; nothing else went wrong.
    expect(problems.filter((p) => !/status of (400|401)/.test(p))).toEqual([]);
  });

  it('shows a client user the waves and quotas of its own surveys, with nothing to change', async () => {
    const { ctx, baseUrl } = server;
    const own = await publish(ctx, 'acme');
    const other = await publish(ctx, 'globex');
    const ownWave = await ctx.distribution.createWave({
      surveyId: own,
      segment: "region = 'Kansai'",
      channel: 'portal',
      name: 'Acme portal',
      actor: 'test',
    });
    await ctx.distribution.createWave({
      surveyId: other,
      segment: 'all',
      channel: 'portal',
      name: 'Globex portal',
      actor: 'test',
    });
    await ctx.distribution.quotas.create(
      own,
      { name: 'All', cells: [{ label: 'Everyone', limit: 10 }] },
      'test',
    );

    const page = await context.newPage();
    await signIn(page, baseUrl, viewer);
    await page.getByRole('link', { name: 'Waves', exact: true }).click();
    const list = page.getByRole('table', { name: 'Waves' });
    await list.locator(`tr[data-wave="${ownWave.wave.id}"]`).waitFor();
    expect(await list.locator('tbody tr').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'New wave' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Outbox' }).count()).toBe(0);

    await list.getByRole('link', { name: 'Acme portal' }).click();
    await page.getByRole('heading', { name: 'Acme portal' }).waitFor();
    // Kansai has five members; a portal wave needs no e-mail address.
    await progressCell(page, 'invited', 'reached').and(page.locator('[data-reached="5"]')).waitFor();
    expect(
      await page.getByRole('table', { name: 'Progress by status' }).locator('tr[data-status="sent"]').count(),
    ).toBe(0);
    expect(await page.getByRole('table', { name: 'Outbox messages' }).count()).toBe(0);

    await page.goto(`${baseUrl}/surveys/${own}`);
    const quota = page.getByRole('table', { name: 'Quota All' });
    await quota.waitFor();
    expect(await quota.locator('td[data-limit]').textContent()).toBe('10');
    expect(await quota.locator('input').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add a quota' }).count()).toBe(0);
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});

describe('console outbox without SMTP', () => {
  let server: MailServer;
  let browser: Browser;
  let context: BrowserContext;
  let problems: string[];

  beforeAll(async () => {
    server = await startMailServer('sqlite', null);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    context.setDefaultTimeout(15_000);
    problems = watchProblems(context, server.baseUrl);
  });
  afterEach(async () => {
    await context.close();
  });

  it('says the messages stay in the outbox, filters by status and shows what members wrote as text', async () => {
    const { ctx, baseUrl } = server;
    const surveyId = await publish(ctx);
    const { wave } = await ctx.distribution.createWave({
      surveyId,
      segment: "region = 'Kansai'",
      actor: 'test',
    });
    const report = await ctx.distribution.tick();
    expect([report.queued, report.send.sent]).toEqual([4, 0]);

    const page = await context.newPage();
    await signIn(page, baseUrl, admin);
    await page.getByRole('link', { name: 'Outbox', exact: true }).click();
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    await page.locator('[data-sending="false"]').filter({ hasText: 'SMTP is not configured' }).waitFor();
    expect(await page.locator('dd[data-outbox-status="queued"]').textContent()).toBe('4');
    expect(await page.locator('dd[data-outbox-status="sent"]').textContent()).toBe('0');

    const table = page.getByRole('table', { name: 'Outbox messages' });
    const addresses = () =>
      table.locator('tr[data-to]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-to')));
    await expect.poll(async () => (await addresses()).sort()).toEqual(kansaiAddresses);
    await page.getByRole('combobox', { name: 'Status' }).selectOption('sent');
    await page.getByText('No messages.').waitFor();
    expect(new URL(page.url()).search).toBe('?status=sent');
    await page.getByRole('combobox', { name: 'Status' }).selectOption('queued');
    await expect.poll(async () => (await addresses()).sort()).toEqual(kansaiAddresses);
    expect(await table.locator(`a[href="/waves/${wave.id}"]`).count()).toBe(4);

    // M07's name holds markup: it is text in the text part, escaped in the HTML part, and never
    // markup of the console page.
    await table.locator('tr[data-to="m07@example.org"]').getByRole('button').click();
    const preview = page.getByRole('region', { name: /^Message \d+$/ });
    expect(await preview.locator('pre.message-text').textContent()).toContain('Dear <b>Goto</b> & Co,');
    await preview.getByRole('tab', { name: 'HTML', exact: true }).click();
    const framed = page.frameLocator('iframe.message-frame');
    await framed.getByText('<b>Goto</b> & Co', { exact: false }).first().waitFor();
    expect(await framed.locator('b').count()).toBe(0);
    expect(await page.locator('b').count()).toBe(0);
    // A click on the survey link in the preview goes nowhere: the member's invitation stays unopened.
    await framed.getByRole('link').first().click();
    await framed.getByText('Start here').waitFor();
    const m07 = await ctx.db.kysely
      .selectFrom('invitations')
      .innerJoin('members', 'members.id', 'invitations.member_id')
      .select(['invitations.status', 'invitations.opened_channel'])
      .where('members.external_id', '=', 'M07')
      .executeTakeFirstOrThrow();
    expect(m07).toEqual({ status: 'invited', opened_channel: null });
    await preview.getByRole('tab', { name: 'HTML source' }).click();
    expect(await preview.locator('pre.message-text').textContent()).toContain('&lt;b&gt;Goto&lt;/b&gt;');
    // The browser reports the refused window of that click; nothing else went wrong.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([
      expect.stringMatching(
        /^console: Blocked opening .* in a sandboxed frame whose 'allow-popups' permission is not set/,
      ),
    ]);
  });
  it('shows first messages held for quota on the wave page and in the outbox, and their release', async () => {
    const { ctx, baseUrl } = server;
    const surveyId = await publish(ctx);
    const quota = await ctx.distribution.quotas.create(
      surveyId,
      { name: 'Kanto', cells: [{ label: 'Kanto', memberCondition: "region = 'Kanto'", limit: 0 }] },
      'test',
    );
    const { wave } = await ctx.distribution.createWave({ surveyId, segment: 'all', actor: 'test' });
    // Kansai's four addresses are queued; Kanto's five are held (the cell is full at 0).
    expect((await ctx.distribution.tick()).queued).toBe(4);

    const page = await context.newPage();
    await signIn(page, baseUrl, admin);
    await page.goto(`${baseUrl}/waves/${wave.id}`);
    const held = page.locator('[data-held-for-quota]');
    await held.waitFor();
    expect(await held.getAttribute('data-held-for-quota')).toBe('5');
    expect(await held.textContent()).toContain('5 invitations are held for quota');
    expect(await page.locator('dd[data-outbox-status="held"]').textContent()).toBe('5');
    expect(await page.locator('dd[data-outbox-status="queued"]').textContent()).toBe('4');
    expect(await progressCell(page, 'invited', 'now').getAttribute('data-now')).toBe('9');

    // The outbox filters by the new status.
    await page.goto(`${baseUrl}/outbox?status=held&wave=${wave.id}`);
    const table = page.getByRole('table', { name: 'Outbox messages' });
    await expect
      .poll(async () =>
        (
          await table.locator('tr[data-to]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-to')))
        ).sort(),
      )
      .toEqual(kantoAddresses);

    // Room again: released to the sender, and the wave page says so within a refresh.
    await ctx.distribution.quotas.setLimit(quota.id, quota.cells[0]!.id, 5);
    await page.goto(`${baseUrl}/waves/${wave.id}`);
    await page.locator('dd[data-outbox-status="queued"]').filter({ hasText: '9' }).waitFor();
    expect(await page.locator('[data-held-for-quota]').count()).toBe(0);
    expect(await page.locator('dd[data-outbox-status="held"]').textContent()).toBe('0');
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
