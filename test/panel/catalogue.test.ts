import { createReadStream } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { createPanelService, type PanelService } from '../../src/panel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { bfiPath, readBfi, textStream } from './data.ts';

describe.each(dialects())('attribute catalogue and member totals on %s', (dialect) => {
  let db: Db;
  let panel: PanelService;

  beforeAll(async () => {
    db = await testDb(dialect);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    for (const table of ['member_attributes', 'member_attribute_types', 'members'] as const) {
      await db.kysely.deleteFrom(table).execute();
    }
    panel = createPanelService({ db, clock: new TestClock(), ids: sequentialIds() });
  });

  it('lists each attribute with its type, distinct values in order and the range of numbers and dates', async () => {
    const csv = [
      'external_id,email,name,specialties,joined,age,region,code',
      'a,a@example.org,Ann,cardiology|oncology,2024-01-15,41,Kanto,007',
      'b,b@example.org,Bo,neurology,2023-06-30,9,Kanto,12',
      'c,,Cy,,2024-02-29,100,Kansai,A1',
      'd,,Dee, oncology | cardiology ,,41,Kanto,',
      'e,,Eve,,2023-06-30,-2.5,,12',
    ].join('\n');
    await panel.importMembers(textStream(csv));
    // Values by hand from the file above; numbers in numeric order (9 before 41 before 100),
    // text in byte order ('007' < '12' < 'A1'), list elements each once.
    expect(await panel.attributeCatalogue()).toEqual([
      { key: 'age', type: 'number', values: [-2.5, 9, 41, 100], more: false, min: -2.5, max: 100 },
      { key: 'code', type: 'text', values: ['007', '12', 'A1'], more: false },
      {
        key: 'joined',
        type: 'date',
        values: ['2023-06-30', '2024-01-15', '2024-02-29'],
        more: false,
        min: '2023-06-30',
        max: '2024-02-29',
      },
      { key: 'region', type: 'text', values: ['Kansai', 'Kanto'], more: false },
      { key: 'specialties', type: 'list', values: ['cardiology', 'neurology', 'oncology'], more: false },
    ]);
    // Fewer values asked for: the range still spans them all.
    const short = await panel.attributeCatalogue({ values: 2 });
    expect(short.find((a) => a.key === 'age')).toEqual({
      key: 'age',
      type: 'number',
      values: [-2.5, 9],
      more: true,
      min: -2.5,
      max: 100,
    });
    expect(short.find((a) => a.key === 'joined')).toMatchObject({
      values: ['2023-06-30', '2024-01-15'],
      more: true,
      max: '2024-02-29',
    });
    expect(short.find((a) => a.key === 'region')).toEqual({
      key: 'region',
      type: 'text',
      values: ['Kansai', 'Kanto'],
      more: false,
    });
  });

  it('describes bfi as computed from the file: every column number-typed, its distinct values and range', async () => {
    await panel.importMembers(createReadStream(bfiPath), { key: 'respondent_id' });
    const bfi = readBfi();
    const catalogue = await panel.attributeCatalogue({ values: 100 });
    expect(catalogue.map((a) => a.key)).toEqual(bfi.columns.slice(1).sort());
    for (const entry of catalogue) {
      const distinct = [...new Set(bfi.rows.map((r) => r[entry.key]).filter((v) => v !== null))] as number[];
      distinct.sort((x, y) => x - y);
      expect(entry).toEqual({
        key: entry.key,
        type: 'number',
        values: distinct.slice(0, 100),
        more: distinct.length > 100,
        min: distinct[0],
        max: distinct.at(-1),
      });
    }
    // By the data's codebook: gender is coded 1–2, education 1–5.
    expect(catalogue.find((a) => a.key === 'gender')?.values).toEqual([1, 2]);
    expect(catalogue.find((a) => a.key === 'education')?.values).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers an empty catalogue for an empty panel', async () => {
    expect(await panel.attributeCatalogue()).toEqual([]);
  });

  it('counts all matches of a search and a segment beside the first page', async () => {
    await panel.importMembers(createReadStream(bfiPath), { key: 'respondent_id' });
    const bfi = readBfi().rows;
    const women60 = bfi.filter((r) => r['gender'] === 2 && r['age']! >= 60).length;
    const page = await panel.listMembers({ segment: 'gender = 2 and age >= 60', limit: 3, total: true });
    expect(page.members).toHaveLength(3);
    expect(page.total).toBe(women60);
    // Search by a leading part of the external id.
    const ids = bfi.map((r) => String(r['respondent_id']));
    const search = await panel.listMembers({ q: '6161', total: true });
    expect(search.total).toBe(ids.filter((id) => id.startsWith('6161')).length);
    expect(search.members.map((m) => m.externalId)).toEqual(ids.filter((id) => id.startsWith('6161')).sort());
    const both = await panel.listMembers({ q: '616', segment: 'gender = 1', total: true });
    expect(both.total).toBe(
      bfi.filter((r) => String(r['respondent_id']).startsWith('616') && r['gender'] === 1).length,
    );
    // Without `total`, no count is made.
    expect(await panel.listMembers({ limit: 1 })).not.toHaveProperty('total');
    const everyone = await panel.listMembers({ limit: 1, total: true });
    expect(everyone.total).toBe(2800);
  });
});
