import { parse as parseCsv } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, signIn, startServer, type TestServer, watchProblems } from '../helpers/browser.ts';
import { dialects } from '../helpers/db.ts';

// Japanese free text with a comma, double quotes and a line break: the hard cases for CSV.
const nameAnswer = '山田 "太郎", 医師';
const opinionAnswer = 'とても良い, "最高"です\n次回も参加します';

const twoPages = {
  title: '診療に関するアンケート',
  locale: 'ja',
  completedHtml: '<h3>ご回答ありがとうございました</h3>',
  pages: [
    {
      name: 'p1',
      elements: [
        { type: 'text', name: 'name', title: 'お名前', isRequired: true },
        {
          type: 'radiogroup',
          name: 'specialty',
          title: 'ご専門',
          isRequired: true,
          choices: [
            { value: 'im', text: '内科' },
            { value: 'su', text: '外科' },
          ],
        },
      ],
    },
    {
      name: 'p2',
      elements: [
        { type: 'comment', name: 'opinion', title: 'ご意見' },
        { type: 'rating', name: 'satisfaction', title: '満足度', rateMin: 1, rateMax: 5, isRequired: true },
      ],
    },
  ],
};

const withScreenOut = {
  title: 'Screening',
  screenOut: [{ expression: '{age} < 18', html: '<p>Sorry, this survey is for adults only.</p>' }],
  completedHtml: '<p>Thanks, adult.</p>',
  pages: [
    {
      name: 'p1',
      elements: [{ type: 'text', inputType: 'number', name: 'age', title: 'Age', isRequired: true }],
    },
    { name: 'p2', elements: [{ type: 'text', name: 'city', title: 'City', isRequired: true }] },
  ],
};

async function publishWithOpenLink(server: TestServer, definition: object): Promise<string> {
  const { surveys } = server.ctx;
  const survey = await surveys.importSurvey({
    source: JSON.stringify(definition),
    format: 'json',
    publish: true,
    actor: 'test',
  });
  await surveys.updateSettings(survey.id, { openLink: true, actor: 'test' });
  return survey.id;
}

/** Waits for the partial save whose answers satisfy `check`. */
function savedWhen(page: Page, check: (body: { data: Record<string, unknown>; page: number }) => boolean) {
  return page.waitForResponse(
    (r) =>
      r.request().method() === 'PUT' &&
      r.url().includes('/api/v1/respond/') &&
      check(r.request().postDataJSON()),
  );
}

async function downloadCsv(server: TestServer, surveyId: string, labels: boolean): Promise<Buffer> {
  const cookie = await signIn(server, server.admin);
  const res = await fetch(
    `${server.baseUrl}/api/v1/surveys/${surveyId}/export.csv${labels ? '?labels=1' : ''}`,
    {
      headers: { cookie },
    },
  );
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe.each(dialects())('respondent page on %s', (dialect) => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let problems: string[];

  beforeAll(async () => {
    server = await startServer(dialect);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ locale: 'ja-JP' });
    // Fail at the step that hangs, well inside the test's own time limit.
    context.setDefaultTimeout(10_000);
    problems = watchProblems(context, server.baseUrl);
  });
  afterEach(async () => {
    await context.close();
  });

  it('answers page 1, part of page 2, resumes after a reload and in another browser, completes; the CSV holds exactly those answers', async () => {
    const surveyId = await publishWithOpenLink(server, twoPages);
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/o/${surveyId}`);
    expect(new URL(page.url()).pathname).toMatch(/^\/s\/[A-Za-z0-9_-]+$/);
    const surveyUrl = page.url();

    // Page 1.
    await page.getByRole('textbox', { name: /お名前/ }).fill(nameAnswer);
    await page.getByText('外科', { exact: true }).click();
    const pageSaved = savedWhen(page, (b) => b.page === 1);
    await page.getByRole('button', { name: '次へ' }).click();
    const firstSave = await pageSaved;
    expect(firstSave.status()).toBe(200);
    expect(firstSave.request().postDataJSON()).toEqual({
      data: { name: nameAnswer, specialty: 'su' },
      page: 1,
    });

    // Page 2: one answer, saved in the background after a quiet moment.
    const opinion = page.getByRole('textbox', { name: /ご意見/ });
    const valueSaved = savedWhen(page, (b) => b.data['opinion'] === opinionAnswer);
    await opinion.fill(opinionAnswer);
    await opinion.blur();
    expect((await valueSaved).request().postDataJSON()).toEqual({
      data: { name: nameAnswer, specialty: 'su', opinion: opinionAnswer },
      page: 1,
    });

    // Reload: page 2 again, with the answer restored; page 1's answers are there too.
    await page.reload();
    await expect.poll(() => page.getByRole('textbox', { name: /ご意見/ }).inputValue()).toBe(opinionAnswer);
    expect(await page.getByRole('button', { name: '完了' }).isVisible()).toBe(true);

    // Another browser (no cookies) with the same link resumes on page 2.
    const other = await browser.newContext({ locale: 'ja-JP' });
    const otherPage = await other.newPage();
    await otherPage.goto(surveyUrl);
    await expect
      .poll(() => otherPage.getByRole('textbox', { name: /ご意見/ }).inputValue())
      .toBe(opinionAnswer);
    await other.close();

    // Going back (which saves page 1 as the place to resume) shows page 1's answers.
    await page.getByRole('button', { name: '前へ' }).click();
    expect(await page.getByRole('textbox', { name: /お名前/ }).inputValue()).toBe(nameAnswer);
    expect(await page.getByRole('radio', { name: '外科' }).isChecked()).toBe(true);
    expect(await page.getByRole('radio', { name: '内科' }).isChecked()).toBe(false);

    // Finish.
    await page.getByRole('button', { name: '次へ' }).click();
    await page.locator('label.sd-rating__item').filter({ hasText: /^4$/ }).click();
    await page.getByRole('button', { name: '完了' }).click();
    await page.getByRole('heading', { name: 'ご回答ありがとうございました' }).waitFor();

    // Coming back later: already answered.
    await page.reload();
    await page.getByText('このアンケートには既に回答いただいています').waitFor();

    const counts = await server.ctx.responses.counts(surveyId);
    expect(counts).toEqual({ in_progress: 0, completed: 1, screened_out: 0 });

    const csv = await downloadCsv(server, surveyId, false);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: Record<string, string>[] = parseCsv(csv, { bom: true, columns: true });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row['status']).toBe('completed');
    expect(row['name']).toBe(nameAnswer);
    expect(row['specialty']).toBe('su');
    expect(row['opinion']).toBe(opinionAnswer);
    expect(row['satisfaction']).toBe('4');
    expect(row['version']).toBe('1');
    expect(Number.isNaN(Date.parse(row['completed_at']!))).toBe(false);

    const labelled: Record<string, string>[] = parseCsv(await downloadCsv(server, surveyId, true), {
      bom: true,
      columns: true,
    });
    expect(labelled.map((r) => [r['name'], r['specialty'], r['opinion'], r['satisfaction']])).toEqual([
      [nameAnswer, '外科', opinionAnswer, '4'],
    ]);
    expect(problems).toEqual([]);
  });

  it('ends the survey with the screen-out page when a rule matches after a page', async () => {
    const surveyId = await publishWithOpenLink(server, withScreenOut);
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/o/${surveyId}`);
    await page.getByRole('spinbutton', { name: /Age/ }).fill('15');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Sorry, this survey is for adults only.').waitFor();
    expect(await page.getByRole('textbox', { name: /City/ }).count()).toBe(0);

    // An adult goes on to page 2 and completes normally.
    const adult = await browser.newContext();
    const adultPage = await adult.newPage();
    await adultPage.goto(`${server.baseUrl}/o/${surveyId}`);
    await adultPage.getByRole('spinbutton', { name: /Age/ }).fill('30');
    await adultPage.getByRole('button', { name: 'Next' }).click();
    await adultPage.getByRole('textbox', { name: /City/ }).fill('Osaka');
    await adultPage.getByRole('button', { name: 'Complete' }).click();
    await adultPage.getByText('Thanks, adult.').waitFor();
    await adult.close();

    expect(await server.ctx.responses.counts(surveyId)).toEqual({
      in_progress: 0,
      completed: 1,
      screened_out: 1,
    });
    const rows: Record<string, string>[] = parseCsv(await downloadCsv(server, surveyId, false), {
      bom: true,
      columns: true,
    });
    expect(rows.map((r) => [r['status'], r['age'], r['city']]).sort()).toEqual([
      ['completed', '30', 'Osaka'],
      ['screened_out', '15', ''],
    ]);
    expect(problems).toEqual([]);
  });

  it('shows a refused completion on the questions and completes only when the server accepts', async () => {
    const surveyId = await publishWithOpenLink(server, twoPages);
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/o/${surveyId}`);
    await page.getByRole('textbox', { name: /お名前/ }).fill('佐藤');
    await page.getByText('内科', { exact: true }).click();
    await page.getByRole('button', { name: '次へ' }).click();
    await page.locator('label.sd-rating__item').filter({ hasText: /^2$/ }).click();

    let refusals = 0;
    await page.route('**/api/v1/respond/*/complete', async (route) => {
      refusals += 1;
      await route.fulfill({
        status: 400,
        json: {
          error: {
            code: 'RESPONSE_INVALID',
            message: 'the answers are not valid',
            details: {
              issues: [{ question: 'name', code: 'INVALID_FORMAT', message: '氏名を確認してください' }],
            },
          },
        },
      });
    });
    await page.getByRole('button', { name: '完了' }).click();
    const alert = page.getByRole('alert').filter({ hasText: '回答をご確認ください' });
    await alert.waitFor();
    expect(await alert.locator('li').allTextContents()).toEqual(['お名前: 氏名を確認してください']);
    // Back on the refused question's page, with the server's message on the question.
    await expect.poll(() => page.getByRole('textbox', { name: /お名前/ }).isVisible()).toBe(true);
    expect(await page.locator('.sd-question').filter({ hasText: '氏名を確認してください' }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'ご回答ありがとうございました' }).count()).toBe(0);
    expect(await server.ctx.responses.counts(surveyId)).toEqual({
      in_progress: 1,
      completed: 0,
      screened_out: 0,
    });

    await page.unroute('**/api/v1/respond/*/complete');
    await page.getByRole('textbox', { name: /お名前/ }).fill('佐藤 一郎');
    await page.getByRole('button', { name: '次へ' }).click();
    await page.getByRole('button', { name: '完了' }).click();
    await page.getByRole('heading', { name: 'ご回答ありがとうございました' }).waitFor();
    expect(await page.getByRole('alert').filter({ hasText: '回答をご確認ください' }).count()).toBe(0);
    expect(refusals).toBe(1);
    expect(await server.ctx.responses.counts(surveyId)).toEqual({
      in_progress: 0,
      completed: 1,
      screened_out: 0,
    });
    // The browser reports the refused request itself; nothing else went wrong.
    expect(problems).toEqual([expect.stringContaining('status of 400')]);
  });

  it('says so for a link that does not exist', async () => {
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/s/no-such-token-000`);
    await page.getByText('このアンケートのリンクは無効です').waitFor();
    expect(problems).toEqual([expect.stringContaining('status of 404')]);
  });
});
