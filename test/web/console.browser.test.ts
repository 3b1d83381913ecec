import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createResponseService } from '../../src/responses/index.ts';
import { launchBrowser, signIn, startServer, type TestServer, watchProblems } from '../helpers/browser.ts';

const acmeDefinition = {
  title: 'Acme brand tracker',
  pages: [
    {
      name: 'p1',
      elements: [
        { type: 'radiogroup', name: 'aware', title: 'Do you know Acme?', choices: ['yes', 'no'] },
        { type: 'comment', name: 'why', title: 'Why?' },
      ],
    },
  ],
};

const betaDefinition = {
  title: 'Beta secret study',
  pages: [{ name: 'p1', elements: [{ type: 'text', name: 'q1', title: 'Anything?' }] }],
};

const viewer = { email: 'viewer@acme.example', password: 'acme-viewer-password' };

async function signInThroughForm(page: Page, baseUrl: string, who: { email: string; password: string }) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Surveys' }).waitFor();
}

describe('console', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let problems: string[];
  let acmeId: string;
  let betaId: string;

  beforeAll(async () => {
    server = await startServer('sqlite');
    browser = await launchBrowser();
    const { surveys, responses, auth } = server.ctx;
    const acme = await surveys.importSurvey({
      source: JSON.stringify(acmeDefinition),
      client: 'acme',
      publish: true,
      actor: 'test',
    });
    acmeId = acme.id;
    await surveys.updateSettings(acmeId, { openLink: true, actor: 'test' });
    // Two completed responses and one in progress, by hand.
    for (const data of [{ aware: 'yes', why: 'ads' }, { aware: 'no' }]) {
      const token = await responses.openLink(acmeId, {});
      await responses.complete(token, { data });
    }
    const partial = await responses.openLink(acmeId, {});
    await responses.savePartial(partial, { data: { aware: 'yes' }, page: 0 });
    // A visit that saved nothing counts nowhere; one completion ended quota_full (as a full cell
    // would make it).
    await responses.load(await responses.openLink(acmeId, {}));
    const full = createResponseService({
      ...server.ctx,
      invitations: { ...server.ctx.distribution.gate, onComplete: async () => 'quota_full' },
    });
    await full.complete(await full.openLink(acmeId, {}), { data: { aware: 'no' } });
    const beta = await surveys.importSurvey({
      source: JSON.stringify(betaDefinition),
      client: 'beta',
      publish: true,
      actor: 'test',
    });
    betaId = beta.id;
    await auth.createUser({ ...viewer, role: 'client', client: 'acme' }, { actor: 'test' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    problems = watchProblems(context, server.baseUrl);
  });
  // A signed-out console asks GET /api/v1/me and gets 401 by design; the browser logs that.
  const unexpected = () => problems.filter((p) => !p.includes('status of 401'));
  afterEach(async () => {
    await context.close();
  });

  it('signs the admin in, lists the surveys and opens one with its counts, link and download', async () => {
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, server.admin);
    expect(new URL(page.url()).pathname).toBe('/surveys');

    const acmeRow = page.locator(`tr[data-survey="${acmeId}"]`);
    expect(await acmeRow.locator('td').allTextContents()).toEqual([
      'Acme brand tracker',
      'acme',
      '1',
      '1',
      '2',
      '0',
      'on',
    ]);
    expect(await page.locator(`tr[data-survey="${betaId}"] td`).first().textContent()).toBe(
      'Beta secret study',
    );

    await acmeRow.getByRole('link', { name: 'Acme brand tracker' }).click();
    await page.getByRole('heading', { name: 'Acme brand tracker' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/surveys/${acmeId}`);
    const count = (status: string) => page.locator(`dd[data-status="${status}"]`).textContent();
    expect([
      await count('in_progress'),
      await count('completed'),
      await count('screened_out'),
      await count('quota_full'),
    ]).toEqual(['1', '2', '0', '1']);
    expect(await page.locator('a.open-link').textContent()).toBe(`${server.baseUrl}/o/${acmeId}`);
    const download = page.getByRole('link', { name: 'Download CSV' });
    expect(await download.getAttribute('href')).toBe(`/api/v1/surveys/${acmeId}/export.csv`);
    await page.getByLabel('labels instead of codes').check();
    expect(await download.getAttribute('href')).toBe(`/api/v1/surveys/${acmeId}/export.csv?labels=1`);
    await page.getByRole('heading', { name: 'Definition of version 1' }).waitFor();
    expect(await page.locator('pre.source').textContent()).toContain('"name": "aware"');
    await page.screenshot({ path: '/tmp/console.png', fullPage: true });

    // The browser back button returns to the list.
    await page.goBack();
    await page.locator(`tr[data-survey="${acmeId}"]`).waitFor();
    expect(unexpected()).toEqual([]);
  });

  it('checks a definition as it is typed, shows a duplicate name with its place, previews and creates', async () => {
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, server.admin);
    await page.getByRole('link', { name: 'New survey' }).click();
    await page.getByRole('heading', { name: 'New survey' }).waitFor();

    const duplicate = {
      title: 'Editor test',
      pages: [
        {
          name: 'p1',
          elements: [
            { type: 'text', name: 'q1', title: 'First question' },
            { type: 'text', name: 'q1', title: 'Second question' },
          ],
        },
      ],
    };
    const editor = page.getByLabel('Survey definition');
    await editor.fill(JSON.stringify(duplicate, null, 2));
    const problemsList = page.getByRole('list', { name: 'Problems' });
    await problemsList.waitFor();
    const items = await problemsList.locator('li').allTextContents();
    expect(items).toHaveLength(1);
    expect(items[0]).toContain('pages[0].elements[1].name');
    expect(items[0]).toContain('duplicate name "q1"');
    expect(await page.getByRole('button', { name: 'Create draft' }).isDisabled()).toBe(true);

    duplicate.pages[0]!.elements[1]!.name = 'q2';
    await editor.fill(JSON.stringify(duplicate, null, 2));
    await problemsList.waitFor({ state: 'detached' });
    await page.locator('.preview-frame').getByText('Second question').waitFor();
    await page.screenshot({ path: '/tmp/console-editor.png', fullPage: true });

    await page.getByRole('button', { name: 'Create and publish' }).click();
    await page.getByRole('heading', { name: 'Editor test' }).waitFor();
    const id = new URL(page.url()).pathname.split('/')[2]!;
    const stored = await server.ctx.surveys.get(id);
    expect(stored.title).toBe('Editor test');
    expect(stored.currentVersion).toBe(1);
    expect(await page.locator('ul.versions li').allTextContents()).toHaveLength(1);
    expect(unexpected()).toEqual([]);
  });

  it("shows a client user its own client's surveys only, read-only", async () => {
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, viewer);
    await page.locator(`tr[data-survey="${acmeId}"]`).waitFor();
    expect(await page.locator('tr[data-survey]').count()).toBe(1);
    expect(await page.getByText('Beta secret study').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'New survey' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Acme brand tracker' }).click();
    await page.getByRole('heading', { name: 'Acme brand tracker' }).waitFor();
    expect(await page.getByRole('link', { name: 'Edit draft' }).count()).toBe(0);

    // Typing another client's survey address gets "not found", as if it did not exist.
    await page.goto(`${server.baseUrl}/surveys/${betaId}`);
    const error = page.getByRole('alert');
    await error.waitFor();
    expect(await error.textContent()).toContain('SURVEY_NOT_FOUND');
    expect(await page.getByText('Beta secret study').count()).toBe(0);
    expect(unexpected()).toEqual([expect.stringContaining('status of 404')]);
  });

  it('lets the admin add a user, shows its password once, and signs out', async () => {
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, server.admin);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Add a user' }).waitFor();
    const form = page.locator('form');
    await form.getByLabel('E-mail').fill('analyst@example.com');
    await form.getByLabel('Name').fill('アナリスト');
    await form.getByLabel('Role').selectOption('researcher');
    await form.getByRole('button', { name: 'Add user' }).click();
    const password = (await page.locator('code.password').textContent()) ?? '';
    expect(password.length).toBeGreaterThanOrEqual(10);
    await page.getByRole('cell', { name: 'analyst@example.com' }).waitFor();
    expect(
      await page.getByRole('row').filter({ hasText: 'analyst@example.com' }).locator('td').allTextContents(),
    ).toEqual(['analyst@example.com', 'アナリスト', 'researcher', '', expect.stringContaining('active')]);
    // The password shown works.
    expect(await signIn(server, { email: 'analyst@example.com', password })).toMatch(/^enquete_session=/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${server.baseUrl}/surveys`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(unexpected()).toEqual([]);
  });

  it('lets a user change their own password from the account page', async () => {
    const who = { email: 'changer@acme.example', password: 'changer-first-pw' };
    await server.ctx.auth.createUser({ ...who, role: 'client', client: 'acme' }, { actor: 'test' });
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, who);
    await page.getByRole('link', { name: 'changer@acme.example · client' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account');

    await page.getByLabel('Current password').fill('not-the-password');
    await page.getByLabel('New password', { exact: true }).fill('changer-second-pw');
    await page.getByLabel('Repeat the new password').fill('changer-second-pw');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('PASSWORD_WRONG');

    await page.getByLabel('Current password').fill(who.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
    // This session stays; the new password signs in, the old one no longer does.
    await page.reload();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await signIn(server, { email: who.email, password: 'changer-second-pw' })).toMatch(
      /^enquete_session=/,
    );
    await expect(signIn(server, who)).rejects.toThrow(/answered 401/);
    // The refused attempt is the one failed request the browser reports.
    expect(unexpected().map((p) => p.includes('status of 400'))).toEqual([true]);
  });
});
