import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startServer, type TestServer, watchProblems } from '../helpers/browser.ts';
import { dialects } from '../helpers/db.ts';

const survey = {
  title: 'Commute',
  completedHtml: '<p>Thanks, your answers count.</p>',
  pages: [
    {
      name: 'p1',
      elements: [
        {
          type: 'radiogroup',
          name: 'mode',
          title: 'How do you commute?',
          isRequired: true,
          choices: ['train', 'car'],
        },
      ],
    },
  ],
};

describe.each(dialects())('the respondent page of a full quota on %s', (dialect) => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer(dialect);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('ends with the quota-full page instead of the thank-you page, and says so again on a later visit', async () => {
    const { surveys, distribution } = server.ctx;
    const { id } = await surveys.importSurvey({
      source: JSON.stringify(survey),
      format: 'json',
      publish: true,
      actor: 'test',
    });
    await surveys.updateSettings(id, { openLink: true, actor: 'test' });
    await distribution.quotas.create(
      id,
      { name: 'Drivers', cells: [{ label: 'Car', answerCondition: "{mode} = 'car'", limit: 1 }] },
      'test',
    );
    const context = await browser.newContext({ locale: 'en-US' });
    context.setDefaultTimeout(10_000);
    const problems = watchProblems(context, server.baseUrl);
    const answer = async () => {
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}/o/${id}`);
      await page.getByText('car', { exact: true }).click();
      await page.getByRole('button', { name: 'Complete' }).click();
      return page;
    };

    // The first driver fills the cell and gets the survey's own end page.
    const first = await answer();
    await first.getByText('Thanks, your answers count.').waitFor();
    await context.clearCookies();
    // The second finds it full.
    const second = await answer();
    await second.getByText('We already have all the answers we need from people like you').waitFor();
    expect(await second.getByText('Thanks, your answers count.').count()).toBe(0);
    await second.reload();
    await second.getByText('We already have all the answers we need from people like you').waitFor();
    expect(await server.ctx.responses.counts(id)).toEqual({
      in_progress: 0,
      completed: 1,
      screened_out: 0,
      quota_full: 1,
    });
    expect(problems).toEqual([]);
    await context.close();
  });
});
