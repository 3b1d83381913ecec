import type { Code, Codebook, CodebookCell, CodebookQuestion } from '../../src/surveys/index.ts';

/** mulberry32: a small seeded PRNG, so every run generates the same answer sets. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, unknown>;
type Rand = () => number;

const TEXTS = ['yes', 'Tokyo, Japan', 'say "hi"', '東京都', 'two\nlines', 'x'.repeat(60), 'ok'];

function pick<T>(rand: Rand, list: readonly T[]): T {
  const item = list[Math.floor(rand() * list.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function shuffle<T>(rand: Rand, list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function subset<T>(rand: Rand, list: readonly T[], max = list.length): T[] {
  const size = 1 + Math.floor(rand() * Math.min(max, list.length));
  return shuffle(rand, list).slice(0, size);
}

function values(choices: { value: Code }[] | undefined): Code[] {
  return (choices ?? []).map((c) => c.value);
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function textValue(rand: Rand, inputType: string | undefined, json: Json, invalid: boolean): unknown {
  if (inputType === 'number') {
    const min = num(json['min'], 0);
    const max = num(json['max'], 100);
    if (invalid) return pick(rand, [String(Math.round((min + max) / 2)), max + 1, min - 1, 'abc', true]);
    return rand() < 0.8 ? min + Math.floor(rand() * (max - min + 1)) : min + rand() * (max - min);
  }
  if (inputType === 'date') {
    if (invalid) return pick(rand, ['2020-13-45', 'yesterday', '1850-01-01', '2030-05-05', 20200101]);
    return `${1900 + Math.floor(rand() * 126)}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`;
  }
  if (inputType === 'email') {
    if (invalid) return pick(rand, ['not-an-email', 'a@b', 42]);
    return `user${Math.floor(rand() * 1000)}@example.com`;
  }
  const maxLength = num(json['maxLength'], 0);
  if (invalid) return maxLength > 0 ? 'y'.repeat(maxLength + 1) : pick(rand, [12, ['a'], { a: 1 }]);
  const text = pick(rand, TEXTS);
  return maxLength > 0 ? text.slice(0, maxLength) : text;
}

function cellValue(rand: Rand, cell: CodebookCell, invalid: boolean): unknown {
  if (cell.type === 'boolean') return invalid ? 'yes' : rand() < 0.5;
  if (cell.type === 'text' || cell.type === 'comment') return textValue(rand, cell.inputType, {}, invalid);
  const listed = values(cell.choices);
  if (cell.type === 'checkbox' || cell.type === 'tagbox') return invalid ? ['zzz'] : subset(rand, listed);
  return invalid ? pick(rand, ['zzz', 99]) : pick(rand, listed);
}

function objectValue(rand: Rand, keys: string[], inner: (key: string) => unknown, invalid: boolean): Json {
  const out: Json = {};
  for (const key of rand() < 0.6 ? keys : subset(rand, keys)) out[key] = inner(key);
  if (invalid && rand() < 0.3) out['no_such_key'] = 1;
  return out;
}

/** One answer for a question: valid, or (when `invalid`) one of the ways answers go wrong. */
function answer(rand: Rand, q: CodebookQuestion, json: Json, invalid: boolean, data: Json): unknown {
  const listed = values(q.choices);
  switch (q.type) {
    case 'text':
      return textValue(rand, q.inputType, json, invalid);
    case 'comment':
      return textValue(rand, undefined, json, invalid);
    case 'boolean':
      return invalid ? pick(rand, ['yes', 1, 'true']) : rand() < 0.5;
    case 'rating':
      return invalid ? pick(rand, [0, 6, 99, String(listed[0]), 'sweet!']) : pick(rand, listed);
    case 'radiogroup':
    case 'dropdown': {
      if (invalid) return pick(rand, ['purple', 99, String(listed[0]), ['red']]);
      if (q.hasOther && rand() < 0.2) {
        if (rand() < 0.8) data[`${q.name}-Comment`] = pick(rand, TEXTS.slice(0, 4));
        return 'other';
      }
      return pick(rand, listed);
    }
    case 'checkbox':
    case 'tagbox': {
      const max = num(json['maxSelectedChoices'], listed.length);
      if (invalid)
        return pick(rand, [['purple'], 'apple', [...listed], ['none', listed[0]], [listed[0], listed[0]]]);
      if (q.hasNone && rand() < 0.1) return ['none'];
      return subset(rand, listed, max);
    }
    case 'ranking':
      if (invalid) return pick(rand, [listed.slice(1), [listed[0], listed[0], listed[1]], ['nope']]);
      return shuffle(rand, listed);
    case 'matrix': {
      const rows = values(q.rows).map(String);
      const cols = values(q.columns);
      return objectValue(rand, rows, () => (invalid && rand() < 0.5 ? 9 : pick(rand, cols)), invalid);
    }
    case 'matrixdropdown': {
      const rows = values(q.rows).map(String);
      const cells = q.cells ?? [];
      return objectValue(
        rand,
        rows,
        () => {
          const bad =
            invalid && rand() < 0.5
              ? pick(
                  rand,
                  cells.map((c) => c.name),
                )
              : null;
          return objectValue(
            rand,
            cells.map((c) => c.name),
            (name) => {
              const cell = cells.find((c) => c.name === name);
              return cell ? cellValue(rand, cell, name === bad) : null;
            },
            false,
          );
        },
        invalid,
      );
    }
    case 'multipletext': {
      const cells = q.cells ?? [];
      const bad = invalid
        ? pick(
            rand,
            cells.map((c) => c.name),
          )
        : null;
      return objectValue(
        rand,
        cells.map((c) => c.name),
        (name) => {
          const cell = cells.find((c) => c.name === name);
          return cell ? cellValue(rand, cell, name === bad) : null;
        },
        false,
      );
    }
    default:
      return invalid ? { strange: true } : 'x';
  }
}

/**
 * An answer set for a survey: each question answered (valid), skipped, or answered wrongly with
 * probability `pInvalid`; sometimes with keys that are not questions, or empty values.
 */
export function generateAnswers(
  rand: Rand,
  codebook: Codebook,
  jsonOf: Map<string, Json>,
  opts: { pSkip: number; pInvalid: number },
): Json {
  const data: Json = {};
  for (const q of codebook.questions) {
    const r = rand();
    if (r < opts.pSkip) {
      // Empty values of the question's own shape. (For a ranking, survey-core turns `{}` into the
      // default order on completion, an answer nobody gave; enquete drops it as empty — a unit test
      // covers that case.)
      const empties = ['ranking', 'checkbox', 'tagbox'].includes(q.type)
        ? ['', [], null]
        : ['', [], {}, null];
      if (rand() < 0.1) data[q.name] = pick(rand, empties);
      continue;
    }
    data[q.name] = answer(rand, q, jsonOf.get(q.name) ?? {}, r > 1 - opts.pInvalid, data);
  }
  if (rand() < 0.1) data['not_a_question'] = 'junk';
  if (rand() < 0.05) data['age-Comment'] = 'a comment nobody asked for';
  return data;
}
