import { fileURLToPath } from 'node:url';
import { type Clock, EnqueteError, isoNow } from '../kernel/index.ts';
import type { ImportResult, ResponseService } from '../responses/index.ts';
import type { SurveyDetail, SurveyService, SurveySummary } from '../surveys/index.ts';
import { readBfiRespondents } from './bfi-data.ts';
import { bfiSurveySource } from './bfi-survey.ts';

/** The demo survey belongs to this client, which is also how a re-run finds it again. */
export const demoClient = 'demo';

/** The BFI files shipped with the project (see demo-data/bfi/PROVENANCE.md). */
export const bfiDir = fileURLToPath(new URL('../../demo-data/bfi/', import.meta.url));

export interface DemoDeps {
  surveys: SurveyService;
  responses: ResponseService;
  clock: Clock;
}

export interface DemoOptions {
  /** Folder holding bfi.csv, bfi-items.csv and bfi-codes.csv. */
  dir?: string;
  /** Respondents per import call (one transaction each). */
  batchSize?: number;
  /** Called after each batch with the respondents handled so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface DemoResult {
  surveyId: string;
  /** False when an earlier run had created the survey already. */
  created: boolean;
  respondents: number;
  inserted: number;
  skipped: number;
  rejected: ImportResult['rejected'];
}

/**
 * The real-data demo: the Big Five Inventory survey (25 IPIP items, gender, education, age),
 * published with its open link on, and the 2,800 SAPA respondents of bfi.csv loaded as completed
 * responses through `importCompleted`. Idempotent: a re-run finds the survey (client `demo`, same
 * title) and the respondents (by respondent_id) and adds nothing.
 *
 * @example
 * const result = await runDemo({ surveys, responses, clock }, { onProgress: (n, t) => bar.update(n) });
 */
export async function runDemo(deps: DemoDeps, options: DemoOptions = {}): Promise<DemoResult> {
  const dir = options.dir ?? bfiDir;
  const batchSize = options.batchSize ?? 400;
  const { survey, created } = await ensureSurvey(deps.surveys, bfiSurveySource(dir));
  const respondents = readBfiRespondents(dir);
  const completedAt = isoNow(deps.clock);
  const result: DemoResult = {
    surveyId: survey.id,
    created,
    respondents: respondents.length,
    inserted: 0,
    skipped: 0,
    rejected: [],
  };
  options.onProgress?.(0, respondents.length);
  for (let start = 0; start < respondents.length; start += batchSize) {
    const batch = respondents.slice(start, start + batchSize).map((r) => ({
      externalRef: r.respondentId,
      data: r.data,
      completedAt,
    }));
    const outcome = await deps.responses.importCompleted(survey.id, batch);
    result.inserted += outcome.inserted;
    result.skipped += outcome.skipped;
    result.rejected.push(...outcome.rejected);
    options.onProgress?.(Math.min(start + batchSize, respondents.length), respondents.length);
  }
  return result;
}

async function ensureSurvey(
  surveys: SurveyService,
  source: string,
): Promise<{ survey: SurveySummary | SurveyDetail; created: boolean }> {
  const checked = surveys.check(source);
  if (!checked.ok) {
    const first = checked.errors[0];
    throw new EnqueteError(
      'DEMO_SURVEY_INVALID',
      'internal',
      `the demo survey definition is invalid${first ? `: ${first.place}: ${first.message}` : ''}`,
      { details: { errors: checked.errors } },
    );
  }
  const title = titleOf(checked.document.surveyjs);
  const existing = (await surveys.list({ client: demoClient })).find((s) => s.title === title);
  let survey: SurveySummary | SurveyDetail;
  let created = false;
  if (existing) {
    survey = existing;
  } else {
    survey = await surveys.importSurvey({ source, client: demoClient, publish: true, actor: 'cli' });
    created = true;
  }
  if (survey.currentVersion === null) await surveys.publish(survey.id, 'cli');
  if (!survey.openLink) survey = await surveys.updateSettings(survey.id, { openLink: true, actor: 'cli' });
  return { survey, created };
}

function titleOf(surveyjs: Record<string, unknown>): string | undefined {
  const title = surveyjs['title'];
  return typeof title === 'string' ? title : undefined;
}
