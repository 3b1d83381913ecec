import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bfiSurveySource } from '../../src/demo/bfi-survey.ts';
import { checkDefinition, compileSurvey } from '../../src/surveys/index.ts';
import { generateAnswers, prng } from './answer-generator.ts';
import { type OracleOutcome, surveyjsOutcome } from './surveyjs-oracle.ts';

/**
 * The compiled validator against the full survey-core Model, on thousands of generated answer
 * sets (valid ones, and invalid ones: missing required answers, unlisted choices, out-of-range
 * ratings and numbers, strings in numeric inputs, wrong shapes, values for hidden questions).
 *
 * The oracle is survey-core (`new Model(json)`, `data`, `validate()` over all pages, `doComplete()`
 * with the default `clearInvisibleValues: 'onComplete'`) PLUS explicit checks written in
 * surveyjs-oracle.ts for what survey-core's `validate()` lets through (known gaps): unlisted
 * choices, out-of-range ratings, non-numbers in numeric inputs, wrong value shapes, too many
 * choices, text over maxLength, and min/max/e-mail checks on disabled questions.
 *
 * Agreement means: the same ok / not ok, and — when the oracle says ok, i.e. when the response
 * would be stored — the same cleaned data (survey-core's `model.data` after completion, with keys
 * that are not questions and empty values left out, as enquete stores answers). For answer sets
 * that fail, survey-core normalizes some junk values on completion (it drops unlisted checkbox
 * values, for one) and nothing is stored, so their data is not compared.
 */

type Json = Record<string, unknown>;

/** Answer sets per survey; a fresh survey-core Model costs 15–40 ms each, hence not more. */
const SETS = 1000;

function sorted(data: Json): string {
  return JSON.stringify(Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function run(source: string, seed: number) {
  const checked = checkDefinition(source);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const { document, codebook } = checked;
  const compiled = compileSurvey({ surveyId: 'sv_oracle', version: 1, document, codebook });
  const jsonOf = new Map<string, Json>();
  const collect = (elements: unknown) => {
    for (const element of Array.isArray(elements) ? (elements as Json[]) : []) {
      if (typeof element['name'] === 'string') jsonOf.set(element['name'], element);
      collect(element['elements']);
    }
  };
  for (const page of document.surveyjs['pages'] as Json[]) collect(page['elements']);

  const rand = prng(seed);
  const mismatches: { data: Json; ours: unknown; oracle: OracleOutcome }[] = [];
  const stats = { ok: 0, notOk: 0, hiddenDropped: 0, codes: new Set<string>() };
  for (let i = 0; i < SETS; i++) {
    const opts =
      i % 3 === 0 ? { pSkip: 0.15, pInvalid: 0.08 } : { pSkip: i % 3 === 1 ? 0.03 : 0.2, pInvalid: 0 };
    const data = generateAnswers(rand, codebook, jsonOf, opts);
    const ours = compiled.validate(structuredClone(data), 'complete');
    const oracle = surveyjsOutcome(document.surveyjs, data);
    const agree = ours.ok === oracle.ok && (!oracle.ok || sorted(ours.data) === sorted(oracle.data));
    if (!agree) mismatches.push({ data, ours, oracle });
    if (oracle.ok) stats.ok++;
    else stats.notOk++;
    for (const issue of ours.issues) stats.codes.add(issue.code);
    const answered = codebook.questions.filter(
      (q) => data[q.name] !== undefined && data[q.name] !== '',
    ).length;
    if (oracle.ok && Object.keys(oracle.data).filter((k) => !k.endsWith('-Comment')).length < answered) {
      stats.hiddenDropped++;
    }
  }
  return { mismatches, stats };
}

describe('compiled validator against survey-core', () => {
  it('agrees on the BFI demo survey', () => {
    const { mismatches, stats } = run(bfiSurveySource(), 2010);
    expect(mismatches.slice(0, 3)).toEqual([]);
    // Both kinds of answer sets are well represented.
    expect(stats.ok).toBeGreaterThan(SETS * 0.3);
    expect(stats.notOk).toBeGreaterThan(SETS * 0.15);
    for (const code of ['NOT_A_CHOICE', 'NOT_A_NUMBER', 'OUT_OF_RANGE']) expect(stats.codes).toContain(code);
  }, 180_000);

  it('agrees on a survey with every supported question type and logic', () => {
    const source = readFileSync(new URL('../fixtures/surveys/all-types.json', import.meta.url), 'utf8');
    const { mismatches, stats } = run(source, 7);
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(stats.ok).toBeGreaterThan(SETS * 0.1);
    expect(stats.notOk).toBeGreaterThan(SETS * 0.3);
    // Accepted sets where values of hidden questions were dropped.
    expect(stats.hiddenDropped).toBeGreaterThan(SETS * 0.05);
    for (const code of [
      'REQUIRED',
      'NOT_A_CHOICE',
      'OUT_OF_RANGE',
      'NOT_A_NUMBER',
      'WRONG_TYPE',
      'INVALID_FORMAT',
      'TOO_MANY',
      'TOO_FEW',
      'UNKNOWN_QUESTION',
    ]) {
      expect(stats.codes).toContain(code);
    }
  }, 300_000);
});
