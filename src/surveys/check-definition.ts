import { Model } from 'survey-core';
import { checkElement, checkPage, SUPPORTED_TYPES } from './check-elements.ts';
import { buildCodebook, NON_VALUE_TYPES } from './codebook.ts';
import { isRecord, type Json, localizedText, surveyPages, walkSurvey } from './elements.ts';
import { checkCondition } from './expressions.ts';
import { parseSource } from './parse-source.ts';
import type { Codebook, DefinitionError, ScreenOutRule, SourceFormat, SurveyDocument } from './types.ts';

/** Keys of the enquete survey document that are not SurveyJS's. */
export const ENQUETE_KEYS = ['screenOut', 'timezone', 'estimatedMinutes'] as const;

/** Survey-level SurveyJS features the server-side validator does not reproduce. */
const UNSUPPORTED_SURVEY_KEYS = ['calculatedValues', 'triggers'];

export type CheckResult =
  | { ok: true; document: SurveyDocument; codebook: Codebook; title: string }
  | { ok: false; errors: DefinitionError[] };

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function splitEnqueteKeys(raw: Json, errors: DefinitionError[]): Omit<SurveyDocument, 'surveyjs'> {
  let timezone = 'UTC';
  if (raw['timezone'] !== undefined) {
    if (typeof raw['timezone'] === 'string' && isValidTimeZone(raw['timezone'])) timezone = raw['timezone'];
    else errors.push({ place: 'timezone', message: 'must be an IANA time zone such as Asia/Tokyo' });
  }
  let estimatedMinutes: number | null = null;
  const minutes = raw['estimatedMinutes'];
  if (minutes !== undefined && minutes !== null) {
    if (typeof minutes === 'number' && Number.isFinite(minutes) && minutes > 0) estimatedMinutes = minutes;
    else errors.push({ place: 'estimatedMinutes', message: 'must be a positive number of minutes' });
  }
  const screenOut: ScreenOutRule[] = [];
  const rules = raw['screenOut'];
  if (rules !== undefined) {
    if (!Array.isArray(rules))
      errors.push({ place: 'screenOut', message: 'must be a list of {expression, html}' });
    else {
      rules.forEach((rule, i) => {
        if (!isRecord(rule) || typeof rule['expression'] !== 'string') {
          errors.push({
            place: `screenOut[${i}]`,
            message: 'must be an object with an expression and an html',
          });
          return;
        }
        const html = typeof rule['html'] === 'string' ? rule['html'] : '';
        screenOut.push({ expression: rule['expression'], html });
      });
    }
  }
  return { screenOut, timezone, estimatedMinutes };
}

function checkStructure(surveyjs: Json, errors: DefinitionError[]): void {
  if (!localizedText(surveyjs['title'])?.trim()) {
    errors.push({ place: 'title', message: 'a survey needs a title' });
  }
  for (const key of UNSUPPORTED_SURVEY_KEYS) {
    if (surveyjs[key] !== undefined) {
      errors.push({ place: key, message: `${key} is not supported by server-side validation; remove it` });
    }
  }
  const clear = surveyjs['clearInvisibleValues'];
  if (clear !== undefined && clear !== 'onComplete' && clear !== 'onHidden') {
    errors.push({
      place: 'clearInvisibleValues',
      message: 'only "onComplete" (the default) or "onHidden" are supported: hidden answers are never kept',
    });
  }
  if (surveyjs['storeOthersAsComment'] === false) {
    errors.push({
      place: 'storeOthersAsComment',
      message: 'other texts are stored as `<name>-Comment`; storeOthersAsComment: false is not supported',
    });
  }
  const pages = surveyPages(surveyjs);
  if (pages.length === 0) {
    errors.push({ place: 'pages', message: 'a survey needs at least one page with elements' });
  }
  for (const page of pages) checkPage(page.json, page.place, errors);
}

/**
 * Checks a survey source and derives what the platform needs: the document (SurveyJS JSON
 * without the enquete keys, plus those keys) and the codebook. Every problem found is listed
 * with its place.
 *
 * @example
 * const result = checkDefinition('{"title":"T","pages":[{"elements":[{"type":"text","name":"age"}]}]}');
 * if (!result.ok) console.log(result.errors); // [{ place, message }]
 */
export function checkDefinition(source: string, format?: SourceFormat, filename?: string): CheckResult {
  const parsed = parseSource(source, format, filename);
  if (!parsed.ok) return parsed;
  return checkObject(parsed.value as Json);
}

/** {@link checkDefinition} for an already parsed object (SurveyJS JSON plus enquete keys). */
export function checkObject(raw: Json): CheckResult {
  const errors: DefinitionError[] = [];
  const enquete = splitEnqueteKeys(raw, errors);
  const surveyjs: Json = { ...raw };
  for (const key of ENQUETE_KEYS) delete surveyjs[key];
  checkStructure(surveyjs, errors);

  const tree = walkSurvey(surveyjs);
  const names = new Map<string, string>();
  for (const visit of tree.visits) {
    const name = checkElement(visit, errors);
    if (name === null) continue;
    const earlier = names.get(name);
    if (earlier !== undefined) {
      errors.push({
        place: `${visit.place}.name`,
        message: `duplicate name "${name}" (first at ${earlier})`,
      });
    } else names.set(name, visit.place);
  }
  if (!tree.questions.some((q) => SUPPORTED_TYPES.has(q.type) && !NON_VALUE_TYPES.has(q.type))) {
    if (errors.length === 0) errors.push({ place: 'pages', message: 'a survey needs at least one question' });
  }

  const questionNames = new Set(tree.questions.map((q) => q.name));
  const conditionAt = (value: unknown, place: string) => {
    if (value === undefined) return;
    const problem = checkCondition(value, questionNames);
    if (problem) errors.push({ place, message: problem });
  };
  for (const node of [...tree.pages, ...tree.panels, ...tree.questions]) {
    for (const key of ['visibleIf', 'enableIf', 'requiredIf']) {
      conditionAt(node.json[key], node.place === '' ? key : `${node.place}.${key}`);
    }
  }
  enquete.screenOut.forEach((rule, i) => {
    conditionAt(rule.expression, `screenOut[${i}].expression`);
  });
  if (errors.length > 0) return { ok: false, errors };

  const model = new Model(surveyjs);
  const { codebook, errors: columnErrors } = buildCodebook(model, tree);
  if (columnErrors.length > 0) return { ok: false, errors: columnErrors };
  const title = localizedText(surveyjs['title'], model.getLocale()) ?? '';
  return { ok: true, document: { surveyjs, ...enquete }, codebook, title };
}

/**
 * A stored (already checked) document split into SurveyJS JSON and the enquete keys, without
 * checking it again.
 */
export function splitStored(raw: Json): SurveyDocument {
  const enquete = splitEnqueteKeys(raw, []);
  const surveyjs: Json = { ...raw };
  for (const key of ENQUETE_KEYS) delete surveyjs[key];
  return { surveyjs, ...enquete };
}

/** The stored form of a document: SurveyJS JSON with the enquete keys back at the top level. */
export function documentToObject(document: SurveyDocument): Json {
  const out: Json = { ...document.surveyjs };
  if (document.screenOut.length > 0) out['screenOut'] = document.screenOut;
  if (document.timezone !== 'UTC') out['timezone'] = document.timezone;
  if (document.estimatedMinutes !== null) out['estimatedMinutes'] = document.estimatedMinutes;
  return out;
}
