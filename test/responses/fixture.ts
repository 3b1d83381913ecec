import type { Db } from '../../src/db/index.ts';
import { type Ids, sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { createResponseService, type ResponseService } from '../../src/responses/index.ts';
import { createSurveyService, type SurveyService } from '../../src/surveys/index.ts';

/**
 * A two-page survey with the cases the server must get right: a required number with a range,
 * a single choice, a question shown only for one choice, a rating, free text, and a screen-out.
 */
export const lunchSurvey = {
  title: 'Lunch survey',
  screenOut: [{ expression: '{age} < 18', html: '<p>Thank you: this survey is for adults.</p>' }],
  pages: [
    {
      name: 'p1',
      elements: [
        { type: 'text', name: 'age', inputType: 'number', min: 0, max: 120, isRequired: true },
        {
          type: 'radiogroup',
          name: 'lunch',
          isRequired: true,
          choices: [
            { value: 1, text: 'Rice' },
            { value: 2, text: 'Bread' },
            { value: 3, text: 'Something else' },
          ],
        },
        { type: 'text', name: 'lunch_other', visibleIf: '{lunch} = 3' },
      ],
    },
    {
      name: 'p2',
      elements: [
        { type: 'rating', name: 'satisfaction', rateMin: 1, rateMax: 5, isRequired: true },
        { type: 'comment', name: 'remarks' },
      ],
    },
  ],
};

export interface Services {
  clock: TestClock;
  ids: Ids;
  surveys: SurveyService;
  responses: ResponseService;
}

export function services(db: Db, ids: Ids = sequentialIds()): Services {
  const clock = new TestClock('2026-03-02T09:00:00.000Z');
  const surveys = createSurveyService({ db, clock, ids });
  return { clock, ids, surveys, responses: createResponseService({ db, clock, ids, surveys }) };
}

/** Imports and publishes a survey with its open link on; resolves with its id. */
export async function publishedSurvey(
  s: Services,
  definition: Record<string, unknown> = lunchSurvey,
  settings: { openLink?: boolean; client?: string | null } = {},
): Promise<string> {
  const survey = await s.surveys.importSurvey({
    source: JSON.stringify(definition),
    format: 'json',
    publish: true,
    client: settings.client ?? null,
    actor: 'test',
  });
  await s.surveys.updateSettings(survey.id, { openLink: settings.openLink ?? true, actor: 'test' });
  return survey.id;
}
