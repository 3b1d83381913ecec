import { createReadStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { createPanelService, type PanelService } from '../../src/panel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { bfiPath, readBfi, textStream } from './data.ts';

type Row = Record<string, number | null>;

// A few members with every kind of attribute, beside the 2,800 of bfi (whose ids are 61617–67560).
const extra = [
  'external_id,email,name,specialties,joined,region,A1',
  'x1,ann@example.org,Ann Arbor,cardiology|oncology,2024-01-15,Kanto,',
  'x2,bo@example.org,Bo,neurology,2023-06-30,Kansai,',
  'x3,,Cy 100%_sure,oncology,2024-04-01,Kanto,',
  'x4,dee@example.org,,,2022-12-31,,',
].join('\n');

describe.each(dialects())('segments on %s', (dialect) => {
  let db: Db;
  let panel: PanelService;
  const bfi = readBfi().rows;
  const count = (test: (r: Row) => boolean) => bfi.filter(test).length;
  const ids = (test: (r: Row) => boolean) =>
    bfi
      .filter(test)
      .map((r) => String(r['respondent_id']))
      .sort();
  const v = (r: Row, k: string) => r[k] ?? null;

  beforeAll(async () => {
    db = await testDb(dialect);
    panel = createPanelService({ db, clock: new TestClock(), ids: sequentialIds() });
    await panel.importMembers(createReadStream(bfiPath), { key: 'respondent_id' });
    await panel.importMembers(textStream(extra));
  });
  afterAll(() => db.close());

  it('counts bfi members as the data README and an independent count say', async () => {
    expect(await panel.countSegment('gender = 1')).toBe(919);
    expect(await panel.countSegment('gender = 2')).toBe(1881);
    expect(await panel.countSegment('education is empty and gender is not empty')).toBe(223);
    expect(await panel.countSegment('gender = 2 and age >= 40')).toBe(
      count((r) => r['gender'] === 2 && v(r, 'age')! >= 40),
    );
    const cases: [string, (r: Row) => boolean][] = [
      ['education in (1, 2) or age < 18', (r) => [1, 2].includes(v(r, 'education')!) || v(r, 'age')! < 18],
      ['education != 3', (r) => v(r, 'education') !== null && v(r, 'education') !== 3],
      ['not education = 3 and gender is not empty', (r) => v(r, 'education') !== 3],
      ['education not in (3, 4)', (r) => v(r, 'education') !== null && ![3, 4].includes(v(r, 'education')!)],
      [
        'age > 20 and age <= 30 and not (A1 <= 2 or N4 is empty)',
        (r) => {
          const a1 = v(r, 'A1');
          return (
            v(r, 'age')! > 20 && v(r, 'age')! <= 30 && !((a1 !== null && a1 <= 2) || v(r, 'N4') === null)
          );
        },
      ],
      [
        '(gender = 1 or education = 5) and (age < 25 or age > 60)',
        (r) => (r['gender'] === 1 || r['education'] === 5) && (v(r, 'age')! < 25 || v(r, 'age')! > 60),
      ],
      ['age >= 1e1 and age < 12.5', (r) => v(r, 'age')! >= 10 && v(r, 'age')! < 12.5],
    ];
    for (const [expression, test] of cases) {
      expect([expression, await panel.countSegment(expression)]).toEqual([expression, count(test)]);
    }
  });

  it('matches member fields, lists, dates and text, with missing values never matching', async () => {
    const members = async (expression: string) => {
      const page = await panel.listSegment(expression, { limit: 1000 });
      return page.members.map((m) => m.externalId);
    };
    expect(await members("specialties contains 'oncology'")).toEqual(['x1', 'x3']);
    expect(await members("specialties not contains 'oncology' and joined is not empty")).toEqual([
      'x2',
      'x4',
    ]);
    expect(await members('specialties is empty and joined is not empty')).toEqual(['x4']);
    expect(await members('joined >= 2024-01-01')).toEqual(['x1', 'x3']);
    expect(await members("joined < '2023-07-01'")).toEqual(['x2', 'x4']);
    expect(await members('joined in (2024-04-01, 2022-12-31)')).toEqual(['x3', 'x4']);
    expect(await members("region = 'Kanto'")).toEqual(['x1', 'x3']);
    expect(await members("region != 'Kanto'")).toEqual(['x2']);
    expect(await members("not region = 'Kanto' and joined is not empty")).toEqual(['x2', 'x4']);
    expect(await members("region < 'Kansai' or region > 'Kansai'")).toEqual(['x1', 'x3']);
    expect(await members("email = 'bo@example.org' or name = 'Ann Arbor'")).toEqual(['x1', 'x2']);
    expect(await members("email is empty and external_id in ('x3', 'x4', 'nobody')")).toEqual(['x3']);
    expect(await members("name != 'Bo' and joined is not empty")).toEqual(['x1', 'x3']);
    expect(await members("not name in ('Bo') and joined is not empty")).toEqual(['x1', 'x3', 'x4']);
    expect(await members("external_id = 61617 or (external_id >= 67559 and external_id < 'x')")).toEqual([
      '61617',
      '67559',
      '67560',
    ]);
    expect(await members('"A1" = 1 and external_id < 61625')).toEqual(
      ids((r) => r['A1'] === 1 && r['respondent_id']! < 61625),
    );
  });

  it('refuses names and values that do not fit the attributes, naming the column', async () => {
    const invalid = async (expression: string) =>
      panel.countSegment(expression).then(
        () => 'counted',
        (e: { code: string; details: unknown }) => [e.code, e.details],
      );
    const at = (column: number, message: string) => ['SEGMENT_INVALID', { column, message }];
    expect(await invalid('agee >= 40')).toEqual(at(1, 'unknown attribute "agee"'));
    expect(await invalid("age >= '40'")).toEqual(at(8, 'age is a number attribute: expected a number'));
    expect(await invalid('region = 5')).toEqual(
      at(10, 'region is a text attribute: put the value in quotes'),
    );
    expect(await invalid("joined > 'soon'")).toEqual(
      at(10, 'joined is a date attribute: expected a date such as 2024-04-01'),
    );
    expect(await invalid('joined > 2024-02-30')).toEqual(at(10, '2024-02-30 is not a date'));
    expect(await invalid("specialties = 'oncology'")).toEqual(
      at(1, 'specialties is a list attribute: use contains'),
    );
    expect(await invalid("region contains 'K'")).toEqual(
      at(1, 'contains applies to list attributes; region is text'),
    );
    expect(await invalid("email contains 'x'")).toEqual(
      at(1, 'contains applies to list attributes; email is a member field'),
    );
    expect(await invalid('gender = 1 and age >=')).toEqual(at(22, "expected a value after '>='"));
    // Values travel as parameters: a quote in a string is data, not SQL.
    expect(await panel.countSegment("region = 'x'' or ''1''=''1'")).toBe(0);
  });

  it('excludes opted-out members from every segment, and pages through all matching ids', async () => {
    const women = ids((r) => r['gender'] === 2);
    const [first, second] = women;
    const before = await panel.countSegment('gender = 2');
    await panel.optOut(first!);
    await panel.optOut(second!);
    expect(await panel.countSegment('gender = 2')).toBe(before - 2);
    expect(await panel.countSegment('all')).toBe(2800 + 4 - 2);

    const pages: string[][] = [];
    for await (const page of panel.segmentMemberIds('gender = 2', 500)) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([500, 500, 500, 379]);
    const members = await panel.membersByIds(pages.flat());
    expect(members.map((m) => m.externalId).sort()).toEqual(women.slice(2));

    const listed: string[] = [];
    let after: string | undefined;
    do {
      const page = await panel.listSegment('gender = 2', { limit: 1000, ...(after ? { after } : {}) });
      listed.push(...page.members.map((m) => m.externalId));
      after = page.next ?? undefined;
    } while (after);
    expect(listed).toEqual(women.slice(2));
    // Searching lists opted-out members too (with their opt-out), segments never do.
    const found = await panel.listMembers({ q: first! });
    expect(found.members.map((m) => [m.externalId, m.optedOutAt !== null])).toEqual([[first, true]]);
  });

  it('searches by external id prefix, e-mail or name, with LIKE wildcards taken literally', async () => {
    const search = async (q: string) =>
      (await panel.listMembers({ q, limit: 1000 })).members.map((m) => m.externalId);
    expect(await search('6756')).toEqual(ids((r) => String(r['respondent_id']).startsWith('6756')));
    expect(await search('EXAMPLE.org')).toEqual(['x1', 'x2', 'x4']);
    expect(await search('arbor')).toEqual(['x1']);
    expect(await search('100%_')).toEqual(['x3']);
    expect(await search('%')).toEqual(['x3']);
    expect(await search('_')).toEqual(['x3']);
    await expect(panel.listMembers({ limit: 0 })).rejects.toMatchObject({ code: 'MEMBER_QUERY_INVALID' });
    await expect(panel.listMembers({ limit: 1001 })).rejects.toMatchObject({ code: 'MEMBER_QUERY_INVALID' });
  });
});
