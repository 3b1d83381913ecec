import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.ts';
import { dialects, throwawayPgUrl } from '../helpers/db.ts';

const yaml = `title: Coffee
timezone: Asia/Tokyo
pages:
  - elements:
      - type: radiogroup
        name: cups
        choices: [0, 1, 2, 3]
`;

describe.each(dialects())('enquete survey on %s', (dialect) => {
  let dir: string;
  let drop: (() => Promise<void>) | undefined;
  const saved = { ...process.env };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enquete-survey-cli-'));
    process.env['ENQUETE_DATA_DIR'] = join(dir, 'data');
    if (dialect === 'postgres') {
      const pg = await throwawayPgUrl();
      process.env['DATABASE_URL'] = pg.url;
      drop = pg.drop;
    } else {
      delete process.env['DATABASE_URL'];
    }
  });
  afterEach(async () => {
    process.env = { ...saved };
    await drop?.();
    drop = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports, lists and publishes', async () => {
    writeFileSync(join(dir, 'coffee.yaml'), yaml);
    const imported = await cli('survey', 'import', join(dir, 'coffee.yaml'), '--client', 'acme');
    expect(imported.code).toBe(0);
    const id = imported.out.trim();
    expect(id).toMatch(/^sv_[0-9a-z]{12}$/);

    const listed = await cli('survey', 'list', '--json');
    expect(listed.code).toBe(0);
    const { surveys } = JSON.parse(listed.out) as {
      surveys: { id: string; title: string; client: string }[];
    };
    expect(surveys.map((s) => [s.id, s.title, s.client])).toEqual([[id, 'Coffee', 'acme']]);
    expect((await cli('survey', 'list')).out).toBe(`${id}  draft  acme          Coffee\n`);

    const published = await cli('survey', 'publish', id);
    expect([published.code, published.out]).toEqual([0, `survey ${id} is at version 1\n`]);
    expect((await cli('survey', 'list')).out).toBe(`${id}  v1     acme          Coffee\n`);
  });

  it('imports JSON and publishes at once with --publish, printing JSON', async () => {
    const file = join(dir, 'tea.json');
    writeFileSync(file, JSON.stringify({ title: 'Tea', elements: [{ type: 'boolean', name: 'likes' }] }));
    const result = await cli('survey', 'import', file, '--publish', '--json');
    expect(result.code).toBe(0);
    const { survey } = JSON.parse(result.out) as {
      survey: { title: string; currentVersion: number; client: null };
    };
    expect(survey).toMatchObject({ title: 'Tea', currentVersion: 1, client: null });
  });

  it('fails with one line naming the place of a bad definition', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"title": "x", "pages": [{"elements": [{"type": "texx", "name": "a"}]}]}');
    const result = await cli('survey', 'import', file);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      'enquete: survey definition is invalid: pages[0].elements[0].type: unknown element type "texx" [SURVEY_DEFINITION_INVALID]\n',
    );
    const missing = await cli('survey', 'import', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^enquete: cannot read .*nope\.yaml: ENOENT/);
    const unknown = await cli('survey', 'publish', 'sv_nope');
    expect([unknown.code, unknown.err]).toEqual([
      3,
      'enquete: survey sv_nope does not exist [SURVEY_NOT_FOUND]\n',
    ]);
  });
});
