import { createReadStream, statSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { createPanelService, type ImportProgress, type PanelService } from '../../src/panel/index.ts';
import { dialects, testDb } from '../helpers/db.ts';
import { anes96Path, bfiPath, readAnes96, readBfi, textStream } from './data.ts';

describe.each(dialects())('member import on %s', (dialect) => {
  let db: Db;
  let panel: PanelService;
  let clock: TestClock;

  beforeAll(async () => {
    db = await testDb(dialect);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    for (const table of ['member_attributes', 'member_attribute_types', 'members'] as const) {
      await db.kysely.deleteFrom(table).execute();
    }
    clock = new TestClock('2026-03-01T09:00:00.000Z');
    panel = createPanelService({ db, clock, ids: sequentialIds() });
  });

  const all = async () => (await panel.listMembers({ limit: 1000 })).members;

  it('imports anes96 (tab-separated, quoted header names) with line numbers as ids, value for value', async () => {
    const expected = readAnes96();
    expect(expected.rows).toHaveLength(944);
    const result = await panel.importMembers(createReadStream(anes96Path), { key: '@line' });
    expect(result).toEqual({
      inserted: 944,
      updated: 0,
      unchanged: 0,
      rejected: [],
      attributes: expected.columns.map((key) => ({ key, type: 'number' })),
    });
    const members = await all();
    expect(members).toHaveLength(944);
    const byId = new Map(members.map((m) => [m.externalId, m]));
    expected.rows.forEach((row, i) => {
      const member = byId.get(String(i + 2));
      expect(member?.attributes).toEqual(Object.fromEntries(expected.columns.map((c, j) => [c, row[j]])));
      expect(member?.email).toBeNull();
    });
    expect(await panel.countSegment('vote = 1')).toBe(expected.rows.filter((r) => r[9] === 1).length);

    clock.tick(60_000);
    const again = await panel.importMembers(createReadStream(anes96Path), { key: '@line' });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 944, rejected: [] });
    expect((await panel.getMember('2')).updatedAt).toBe('2026-03-01T09:00:00.000Z');
  });

  it('refuses anes96 without a key option, naming the way out', async () => {
    await expect(panel.importMembers(createReadStream(anes96Path))).rejects.toMatchObject({
      code: 'MEMBERS_CSV_INVALID',
      message:
        'the header has no column external_id: name the key column with --key COLUMN, or number members by line with --key @line',
    });
    expect(await all()).toEqual([]);
  });

  it('imports bfi by respondent_id: 2,800 members, empty cells absent, re-import unchanged', async () => {
    const bfi = readBfi();
    const progress: ImportProgress[] = [];
    const result = await panel.importMembers(createReadStream(bfiPath), {
      key: 'respondent_id',
      batchSize: 1000,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ inserted: 2800, updated: 0, unchanged: 0, rejected: [] });
    expect(result.attributes.map((a) => `${a.key}:${a.type}`)).toEqual(
      bfi.columns.slice(1).map((c) => `${c}:number`),
    );
    expect(progress.map((p) => [p.rows, p.inserted])).toEqual([
      [1000, 1000],
      [2000, 2000],
      [2800, 2800],
    ]);
    expect(progress.at(-1)?.bytes).toBe(statSync(bfiPath).size);

    const first = bfi.rows[0]!;
    const member = await panel.getMember(String(first['respondent_id']));
    const present = Object.entries(first).filter(([k, v]) => k !== 'respondent_id' && v !== null);
    expect(member.attributes).toEqual(Object.fromEntries(present));
    expect(member.attributes).not.toHaveProperty('education');

    const again = await panel.importMembers(createReadStream(bfiPath), { key: 'respondent_id' });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 2800, rejected: [] });
  });

  it('reports every rejected record with its line while the good ones land', async () => {
    const csv = [
      '\ufeffexternal_id,email,name,age:number,joined:date,note',
      'm1,ann@example.org,"Ann, A.",41,2024-04-01,"said ""hi"""',
      ',nokey@example.org,No Key,30,,',
      'm2,not-an-email,Bad Mail,30,,',
      'm3,bo@example.org,Bo,3O,,',
      'm4,cy@example.org,Cy,50,2024-02-30,',
      'm5,dee@example.org,Dee,60',
      'm1,again@example.org,Dup,70,,',
      '',
      'm6,,"Multi',
      'line name",22,,"a,b"',
      'm7,eve@example.org,Eve,,,x,extra',
      'm8,  fay@example.org ,  Fay  , 33 , 2023-12-31 , " padded "',
    ].join('\r\n');
    const result = await panel.importMembers(textStream(`${csv}\r\n`));
    expect(result.rejected).toEqual([
      { line: 3, reason: 'missing key: external_id is empty' },
      { line: 4, reason: 'bad email "not-an-email"' },
      { line: 5, reason: 'age: "3O" is not a number' },
      { line: 6, reason: 'joined: "2024-02-30" is not a date (YYYY-MM-DD)' },
      { line: 7, reason: 'wrong column count: 4 fields, the header has 6' },
      { line: 8, reason: 'duplicate key "m1" (first on line 2)' },
      { line: 12, reason: 'wrong column count: 7 fields, the header has 6' },
    ]);
    expect(result).toMatchObject({ inserted: 3, updated: 0, unchanged: 0 });
    expect(result.attributes).toEqual([
      { key: 'age', type: 'number' },
      { key: 'joined', type: 'date' },
      { key: 'note', type: 'text' },
    ]);
    expect((await all()).map((m) => [m.externalId, m.email, m.name, m.attributes])).toEqual([
      ['m1', 'ann@example.org', 'Ann, A.', { age: 41, joined: '2024-04-01', note: 'said "hi"' }],
      ['m6', null, 'Multi\r\nline name', { age: 22, note: 'a,b' }],
      ['m8', 'fay@example.org', 'Fay', { age: 33, joined: '2023-12-31', note: 'padded' }],
    ]);
  });

  it('upserts: changed fields update, empty cells clear, other attributes stay, unchanged rows are left', async () => {
    await panel.importMembers(
      textStream(
        'external_id,email,region,age,tier\na,a@example.org,Kanto,40,gold\nb,b@example.org,Kansai,50,\n',
      ),
    );
    clock.tick(1000);
    const result = await panel.importMembers(
      textStream(
        'external_id,email,region,age\na,a2@example.org,Kanto,\nb,b@example.org,Kansai,50\nc,,Tohoku,20\n',
      ),
    );
    expect(result).toMatchObject({ inserted: 1, updated: 1, unchanged: 1, rejected: [] });
    const a = await panel.getMember('a');
    expect(a).toMatchObject({
      email: 'a2@example.org',
      attributes: { region: 'Kanto', tier: 'gold' },
      createdAt: '2026-03-01T09:00:00.000Z',
      updatedAt: '2026-03-01T09:00:01.000Z',
    });
    expect(a.attributes).not.toHaveProperty('age');
    expect((await panel.getMember('b')).updatedAt).toBe('2026-03-01T09:00:00.000Z');
    // The index follows: a's age is gone, so only b (50) and c (20) have one.
    expect(await panel.countSegment('age is not empty')).toBe(2);
    expect(await panel.countSegment("tier = 'gold' and region = 'Kanto'")).toBe(1);
    // A file without an email column leaves e-mails alone.
    await panel.importMembers(textStream('external_id,region\na,Kyushu\n'));
    expect(await panel.getMember('a')).toMatchObject({
      email: 'a2@example.org',
      attributes: { region: 'Kyushu' },
    });
  });

  it('infers list, date, number and text over the whole file, across batches', async () => {
    const csv = [
      'external_id,specialties,joined,score,code,later',
      'a,cardiology|oncology,2024-01-15,1,007,5',
      'b,neurology,2023-06-30,2.5,12,6',
      'c,,2024-02-29,-3,A1,n/a',
      'd, oncology | cardiology | oncology ,,,,7',
    ].join('\n');
    const result = await panel.importMembers(textStream(csv), { batchSize: 1 });
    expect(result.attributes).toEqual([
      { key: 'specialties', type: 'list' },
      { key: 'joined', type: 'date' },
      { key: 'score', type: 'number' },
      { key: 'code', type: 'text' },
      { key: 'later', type: 'text' },
    ]);
    expect(await panel.attributeTypes()).toEqual([
      { key: 'code', type: 'text' },
      { key: 'joined', type: 'date' },
      { key: 'later', type: 'text' },
      { key: 'score', type: 'number' },
      { key: 'specialties', type: 'list' },
    ]);
    expect((await all()).map((m) => m.attributes)).toEqual([
      { specialties: ['cardiology', 'oncology'], joined: '2024-01-15', score: 1, code: '007', later: '5' },
      { specialties: ['neurology'], joined: '2023-06-30', score: 2.5, code: '12', later: '6' },
      { joined: '2024-02-29', score: -3, code: 'A1', later: 'n/a' },
      { specialties: ['oncology', 'cardiology'], later: '7' },
    ]);
    expect(await panel.countSegment("specialties contains 'oncology'")).toBe(2);
    expect(await panel.countSegment("later = '5' or later = 'n/a'")).toBe(2);
  });

  it('holds an attribute to its type in later files, and refuses a conflicting declaration', async () => {
    await panel.importMembers(textStream('external_id,age,tags\na,40,x|y\n'));
    const result = await panel.importMembers(textStream('external_id,age,tags\nb,unknown,z\nc,33,w\n'));
    expect(result.rejected).toEqual([{ line: 2, reason: 'age: "unknown" is not a number' }]);
    expect(result.attributes).toEqual([
      { key: 'age', type: 'number' },
      { key: 'tags', type: 'list' },
    ]);
    expect((await panel.getMember('c')).attributes).toEqual({ age: 33, tags: ['w'] });
    await expect(panel.importMembers(textStream('external_id,age:text\nd,x\n'))).rejects.toMatchObject({
      code: 'MEMBER_ATTRIBUTE_TYPE_CONFLICT',
      message: 'column age is declared text, but the attribute age is already number',
    });
    expect(await panel.importMembers(textStream('external_id,age:number\nd,5\n'))).toMatchObject({
      inserted: 1,
    });
  });

  it('keeps an opt-out forever: a re-import never clears it, a second opt-out never moves it', async () => {
    await panel.importMembers(textStream('external_id,email,age\na,a@example.org,40\nb,b@example.org,41\n'));
    const out = await panel.optOut('a', new Date('2026-03-02T00:00:00.000Z'));
    expect(out.optedOutAt).toBe('2026-03-02T00:00:00.000Z');
    await panel.importMembers(textStream('external_id,email,age\na,new@example.org,42\n'));
    clock.tick(86_400_000);
    await panel.optOut('a');
    expect(await panel.getMember('a')).toMatchObject({
      email: 'new@example.org',
      attributes: { age: 42 },
      optedOutAt: '2026-03-02T00:00:00.000Z',
    });
    expect(await panel.countSegment('age >= 40')).toBe(1);
    expect(await panel.countSegment('all')).toBe(1);
    await expect(panel.optOut('nobody')).rejects.toMatchObject({ code: 'MEMBER_NOT_FOUND' });
  });

  it('reads tabs, an explicit delimiter, and stops at a quote never closed after keeping the rows before', async () => {
    expect(await panel.importMembers(textStream('external_id\tregion\nt1\tKanto, east\n'))).toMatchObject({
      inserted: 1,
    });
    expect((await panel.getMember('t1')).attributes).toEqual({ region: 'Kanto, east' });
    const tsv = 'external_id\tnote, with, commas\nt2\tx\n';
    await expect(panel.importMembers(textStream(tsv))).rejects.toMatchObject({ code: 'MEMBERS_CSV_INVALID' });
    expect(await panel.importMembers(textStream(tsv), { delimiter: '\t' })).toMatchObject({ inserted: 1 });
    expect((await panel.getMember('t2')).attributes).toEqual({ 'note, with, commas': 'x' });

    const open = await panel.importMembers(textStream('external_id,note\na,ok\nb,"open\nc,never\n'));
    expect(open).toMatchObject({
      inserted: 1,
      rejected: [
        {
          line: 3,
          reason:
            'a quoted field is never closed; nothing from this line to the end of the file was imported',
        },
      ],
    });
    expect((await all()).map((m) => m.externalId)).toEqual(['a', 't1', 't2']);

    // An open quote followed by more than 1 MiB: the record is cut off there, the rest not read.
    const long = `external_id\tnote\nl1\tfine\t\nl2\t\nl3\t"${'x\n'.repeat(600_000)}l4\ty\n`;
    const cut = await panel.importMembers(textStream(long, 65_536));
    expect(cut.rejected).toEqual([
      { line: 2, reason: 'wrong column count: 3 fields, the header has 2' },
      {
        line: 4,
        reason:
          'record longer than 1 MiB (a quote left open?); nothing from this line to the end of the file was imported',
      },
    ]);
    expect(cut.inserted).toBe(1);
    expect((await panel.getMember('l2')).attributes).toEqual({});
  });

  it('refuses a file without a header and one with a header only imports nothing', async () => {
    await expect(panel.importMembers(textStream(''))).rejects.toMatchObject({
      code: 'MEMBERS_CSV_INVALID',
      message: 'the file is empty: expected a header line',
    });
    expect(await panel.importMembers(textStream('\ufeffexternal_id,age\n'))).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 0,
      rejected: [],
      attributes: [],
    });
    expect(await panel.attributeTypes()).toEqual([]);
  });
});
