import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkDefinition, readColumn } from '../../src/surveys/index.ts';

describe('readColumn', () => {
  it('reads every kind of export column from stored answers', () => {
    const result = checkDefinition(
      readFileSync(new URL('../fixtures/surveys/all-types.json', import.meta.url), 'utf8'),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const data = {
      age: 42,
      contact: true,
      note: 'a, "b"\nc',
      color: 'other',
      'color-Comment': 'teal',
      fruits: ['kiwi', 'apple'],
      tags: [],
      satisfied: 4,
      priorities: ['speed', 'price', 'quality'],
      grid: { r1: 2, r3: 5 },
      jobs: { now: { title: 'nurse', years: 3, remote: false } },
      reach: { zip: 1500001 },
      has_pet: false,
    };
    const row = Object.fromEntries(result.codebook.columns.map((c) => [c.name, readColumn(c, data)]));
    // Expected cells worked out by hand from docs/exports.md.
    expect(row).toEqual({
      age: 42,
      birthday: null,
      contact: 1,
      email: null,
      pet_name: null,
      note: 'a, "b"\nc',
      color: 'other',
      color__other: 'teal',
      country: null,
      fruits__apple: 1,
      fruits__pear: 0,
      fruits__kiwi: 1,
      fruits__mango: 0,
      fruits__none: 0,
      tags__1: 0,
      tags__2: 0,
      tags__3: 0,
      tags__4: 0,
      satisfied: 4,
      why: null,
      priorities__price: 2,
      priorities__quality: 3,
      priorities__speed: 1,
      grid__r1: 2,
      grid__r2: null,
      grid__r3: 5,
      income: null,
      jobs__now__title: 'nurse',
      jobs__now__years: 3,
      jobs__now__remote: 0,
      jobs__before__title: null,
      jobs__before__years: null,
      jobs__before__remote: null,
      income_detail: null,
      reach__phone: null,
      reach__zip: 1500001,
      kiwi_taste: null,
      has_pet: 0,
      kiwi_more: null,
    });
    const unanswered = Object.fromEntries(result.codebook.columns.map((c) => [c.name, readColumn(c, {})]));
    expect(Object.values(unanswered).every((v) => v === null)).toBe(true);
  });
});
