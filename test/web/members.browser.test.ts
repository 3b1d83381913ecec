import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type TestServer, watchProblems } from '../helpers/browser.ts';

// Six members, one of them (line 5) with a bad e-mail. By hand:
//   region = 'Kanto' and age >= 40                → m001 (41), m003 (52)          = 2
//   specialties contains 'oncology' or age < 30   → m001, m003 (oncology), m006 (29) = 3
//   region = 'Kanto'                              → m001, m003, m006              = 3
// (m004 is Kanto and 60, but its line is rejected, so it never lands.)
const panelCsv = [
  'external_id,email,name,region,age,specialties',
  'm001,ann@example.org,Ann Aoki,Kanto,41,cardiology|oncology',
  'm002,bo@example.org,Bo Baba,Kansai,35,neurology',
  'm003,cy@example.org,Cy <script>alert(1)</script>,Kanto,52,oncology',
  'm004,not-an-email,Dee Doi,Kanto,60,cardiology',
  'm005,eve@example.org,Eve Endo,Tohoku,47,cardiology|neurology',
  'm006,fay@example.org,Fay Fujii,Kanto,29,',
  '',
].join('\n');

async function signInThroughForm(page: Page, baseUrl: string, who: { email: string; password: string }) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Surveys' }).waitFor();
}

describe('console: members and segments', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let problems: string[];

  beforeAll(async () => {
    server = await startServer('sqlite');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(10_000);
    problems = watchProblems(context, server.baseUrl);
  });
  afterEach(async () => {
    await context.close();
  });
  // A signed-out console asks GET /api/v1/me and gets 401 by design; a segment with a mistake
  // answers 400 by design too. The browser logs both.
  const unexpected = () => problems.filter((p) => !/status of (401|400)/.test(p));

  it('imports a file with a bad line, searches and opens a member, counts segments and shows a mistake', async () => {
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await signInThroughForm(page, server.baseUrl, server.admin);
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByText('No members yet').waitFor();

    // Import through the page.
    await page.getByRole('button', { name: 'Import members' }).click();
    await page.getByLabel('Member file (CSV or TSV)').setInputFiles({
      name: 'panel.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(panelCsv),
    });
    expect(await page.getByLabel('Key column').inputValue()).toBe('external_id');
    expect(await page.getByLabel('Delimiter').inputValue()).toBe('comma');
    await page.getByRole('button', { name: /^Import \d/ }).click();
    const figure = (key: string) => page.locator(`dd[data-count="${key}"]`).textContent();
    await page.locator('dd[data-count="inserted"]').waitFor();
    expect([
      await figure('inserted'),
      await figure('updated'),
      await figure('unchanged'),
      await figure('rejected'),
    ]).toEqual(['5', '0', '0', '1']);
    const rejected = page.getByRole('table', { name: 'Rejected lines' });
    expect(await rejected.locator('tbody tr').count()).toBe(1);
    expect(await rejected.locator('tbody td').allTextContents()).toEqual(['5', 'bad email "not-an-email"']);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download rejected lines (CSV)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('panel-rejected.csv');
    expect(await readFile((await download.path())!, 'utf8')).toBe(
      '\ufeffline,reason\r\n5,"bad email ""not-an-email"""\r\n',
    );
    // The list reloads behind the result.
    await page.locator('[data-total="5"]').waitFor();
    expect(
      await page
        .locator('tr[data-member]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-member'))),
    ).toEqual(['m001', 'm002', 'm003', 'm005', 'm006']);
    // The stored members are what the file says.
    expect((await server.ctx.panel.getMember('m005')).attributes).toEqual({
      region: 'Tohoku',
      age: 47,
      specialties: ['cardiology', 'neurology'],
    });

    // Search by part of an e-mail, then open the member.
    await page.getByLabel('Search').fill('bo@EXAMPLE');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('[data-total="1"]').waitFor();
    expect(new URL(page.url()).search).toBe('?q=bo%40EXAMPLE');
    expect(await page.locator('tr[data-member]').count()).toBe(1);
    await page.getByRole('link', { name: 'm002' }).click();
    await page.getByRole('heading', { name: 'Bo Baba' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/members/m002');
    expect(await page.locator('dd[data-field="email"]').textContent()).toBe('bo@example.org');
    expect(await page.locator('dd[data-field="optOut"]').textContent()).toBe('receives invitations');
    const attributes = page.getByRole('table', { name: 'Attributes' });
    const row = async (key: string) => attributes.locator(`tr[data-attribute="${key}"] td`).allTextContents();
    expect(await row('age')).toEqual(['age', 'number', '35']);
    expect(await row('region')).toEqual(['region', 'text', 'Kansai']);
    expect(await row('specialties')).toEqual(['specialties', 'list', 'neurology']);
    expect(await page.getByRole('table', { name: 'History' }).locator('tbody td').nth(1).textContent()).toBe(
      'added by an import',
    );

    // What members wrote is shown as text, never run.
    await page.goto(`${server.baseUrl}/members/m003`);
    await page.getByRole('heading', { name: 'Cy <script>alert(1)</script>' }).waitFor();

    // Segments: the catalogue, live counts and a mistake with its column.
    await page.getByRole('link', { name: 'Segments', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Segments' }).waitFor();
    const catalogue = page.getByRole('table', { name: 'Attribute catalogue' });
    const entry = (key: string) => catalogue.locator(`tr[data-attribute="${key}"] td`).allTextContents();
    await catalogue.waitFor();
    expect(await entry('age')).toEqual(['age', 'number', '29, 35, 41, 47, 52']);
    expect(await entry('region')).toEqual(['region', 'text', 'Kansai, Kanto, Tohoku']);
    expect(await entry('specialties')).toEqual(['specialties', 'list', 'cardiology, neurology, oncology']);

    const editor = page.getByLabel('Segment expression');
    const count = page.getByRole('status').locator('output');
    await editor.fill("region = 'Kanto' and age >= 40");
    await page.locator('output[data-count="2"]').waitFor();
    expect(await count.textContent()).toBe('2');
    expect(
      await page.getByRole('list', { name: 'Sample of members' }).locator('a').allTextContents(),
    ).toEqual(['m001', 'm003']);
    await editor.fill("specialties contains 'oncology' or age < 30");
    await page.locator('output[data-count="3"]').waitFor();

    const mistake = "region = 'Kanto' and age >=";
    await editor.fill(mistake);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-column]').textContent()).toBe('Column 28');
    expect(await alert.textContent()).toContain("expected a value after '>='");
    expect(await alert.locator('mark').textContent()).toBe('\u00a0');
    expect(await alert.locator('pre').textContent()).toBe(`${mistake}\u00a0`);
    await alert.getByRole('button', { name: 'Go to column 28' }).click();
    expect(await editor.evaluate((el) => (el as HTMLTextAreaElement).selectionStart)).toBe(27);

    // Names and values from the catalogue go in at the cursor.
    await editor.fill('');
    await catalogue.getByRole('button', { name: 'region', exact: true }).click();
    await editor.press('End');
    await editor.pressSequentially(' = ');
    await catalogue.getByRole('button', { name: 'Kanto', exact: true }).click();
    expect(await editor.inputValue()).toBe("region = 'Kanto'");
    await page.locator('output[data-count="3"]').waitFor();
    expect(new URL(page.url()).searchParams.get('expression')).toBe("region = 'Kanto'");
    await page.screenshot({ path: '/tmp/console-segments.png', fullPage: true });

    // The segment opens in Members, which lists the same three.
    await page.getByRole('link', { name: 'Show them all in Members →' }).click();
    await page.locator('[data-total="3"]').waitFor();
    expect(
      await page
        .locator('tr[data-member]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-member'))),
    ).toEqual(['m001', 'm003', 'm006']);
    expect(unexpected()).toEqual([]);
  });

  it('imports the same file again without changes', async () => {
    // Whether or not the test above ran, the panel holds the file once before the page imports it.
    await server.ctx.panel.importMembers(Readable.from([panelCsv]));
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, server.admin);
    await page.goto(`${server.baseUrl}/members`);
    await page.getByRole('button', { name: 'Import members' }).click();
    await page.getByLabel('Member file (CSV or TSV)').setInputFiles({
      name: 'panel.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(panelCsv),
    });
    await page.getByRole('button', { name: /^Import \d/ }).click();
    await page.locator('dd[data-count="unchanged"]').waitFor();
    const figure = (key: string) => page.locator(`dd[data-count="${key}"]`).textContent();
    expect([
      await figure('inserted'),
      await figure('updated'),
      await figure('unchanged'),
      await figure('rejected'),
    ]).toEqual(['0', '0', '5', '1']);
    expect(unexpected()).toEqual([]);
  });
});
