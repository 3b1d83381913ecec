import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinJobs, openBatchService, parseJobsFile, withBuiltins } from '../../src/batch/index.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { testDb } from '../helpers/db.ts';

const bin = fileURLToPath(new URL('../../bin/enquete.mjs', import.meta.url));

describe('built-in jobs', () => {
  it('declare reminders every 10 minutes, running this repository’s CLI with the settings it needs', () => {
    const { jobs, notifiers } = builtinJobs({
      dataDir: '/srv/enquete/data',
      databaseUrl: 'postgres://enquete:pw@db/enquete',
      publicUrl: 'https://enquete.example',
    });
    expect(notifiers).toEqual({});
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job).toMatchObject({
      name: 'reminders',
      endpoint: '/reminders',
      schedule: '*/10 * * * *',
      timezone: 'UTC',
      runner: 'local',
      cmd: [process.execPath, bin, 'reminders', 'run'],
      retryable: false,
      overlap: 'skip',
      timeoutMs: 15 * 60_000,
      env: {
        ENQUETE_JOBS: devNull,
        ENQUETE_DATA_DIR: '/srv/enquete/data',
        ENQUETE_PUBLIC_URL: 'https://enquete.example',
        // A reference, so the value is resolved (and masked) like any secret, never written out.
        DATABASE_URL: '$' + '{DATABASE_URL}',
      },
    });
    expect(existsSync(bin)).toBe(true);
    // SQLite: no DATABASE_URL at all.
    expect(Object.keys(builtinJobs({ dataDir: '/d' }).jobs[0]!.env).sort()).toEqual([
      'ENQUETE_DATA_DIR',
      'ENQUETE_JOBS',
    ]);
  });

  it('sit under the jobs of a file: a job of the same name or endpoint replaces one, the others stay', () => {
    const builtins = parseJobsFile(
      `jobs:
  - { name: reminders, cmd: 'builtin reminders', schedule: '*/10 * * * *' }
  - { name: warehouse, cmd: 'builtin warehouse', schedule: '0 3 * * *' }
  - { name: cleanup, cmd: 'builtin cleanup' }
`,
      'built-ins',
    );
    const file = parseJobsFile(
      `notifiers:
  ops: { type: webhook, url: 'https://hooks.example/ops' }
jobs:
  - { name: nightly, cmd: 'echo nightly' }
  - { name: reminders, cmd: 'echo my reminders', schedule: '*/5 * * * *', notify: ops }
  - { name: sweep, endpoint: /cleanup, cmd: 'echo sweep' }
`,
    );
    const merged = withBuiltins(file, builtins);
    expect(merged.jobs.map((j) => [j.name, j.endpoint, j.cmd, j.schedule])).toEqual([
      ['nightly', '/nightly', 'echo nightly', null],
      ['reminders', '/reminders', 'echo my reminders', '*/5 * * * *'],
      ['sweep', '/cleanup', 'echo sweep', null],
      ['warehouse', '/warehouse', 'builtin warehouse', '0 3 * * *'],
    ]);
    expect(Object.keys(merged.notifiers)).toEqual(['ops']);
    // An empty file keeps every built-in.
    expect(withBuiltins(parseJobsFile(''), builtins).jobs.map((j) => j.name)).toEqual([
      'reminders',
      'warehouse',
      'cleanup',
    ]);
  });

  describe('through openBatchService', () => {
    let dir: string;
    let db: Db | undefined;
    afterEach(async () => {
      await db?.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    async function open(yaml: string | null, props: { databaseUrl?: string; env?: Record<string, string> }) {
      dir = mkdtempSync(join(tmpdir(), 'enquete-builtins-'));
      let jobsPath: string | undefined;
      if (yaml !== null) {
        jobsPath = join(dir, 'jobs.yaml');
        writeFileSync(jobsPath, yaml);
      }
      db = await testDb('sqlite');
      return openBatchService({
        db,
        clock: new TestClock('2026-04-01T00:00:00Z'),
        ids: sequentialIds(),
        jobsPath,
        env: props.env ?? {},
        dataDir: dir,
        ...(props.databaseUrl ? { databaseUrl: props.databaseUrl } : {}),
      });
    }

    it('a jobs.yaml job named reminders overrides the built-in one; without the file the built-in runs', async () => {
      const own = await open(
        "- name: reminders\n  cmd: 'echo mine'\n- endpoint: /ibis/update_answer\n  cmd: 'echo ibis'\n",
        {},
      );
      const jobs = await own.listJobs();
      expect(jobs.map((j) => [j.name, j.cmd, j.schedule])).toEqual([
        ['reminders', 'echo mine', null],
        ['ibis-update_answer', 'echo ibis', null],
      ]);
      await own.stop();
      await db!.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });

      const none = await open(null, {});
      const [builtin] = await none.listJobs();
      expect(builtin).toMatchObject({
        name: 'reminders',
        schedule: '*/10 * * * *',
        scheduleText: 'every 10 minutes',
        nextRunAt: '2026-04-01T00:10:00.000Z',
        envNames: ['ENQUETE_DATA_DIR', 'ENQUETE_JOBS'],
      });
      await none.stop();
    });

    it('resolves the built-in job’s DATABASE_URL reference from the settings when the environment lacks it', async () => {
      const batch = await open(null, { databaseUrl: 'postgres://enquete:s3cret@db/enquete' });
      const [job] = await batch.listJobs();
      expect(job!.envNames).toEqual(['DATABASE_URL', 'ENQUETE_DATA_DIR', 'ENQUETE_JOBS']);
      expect(JSON.stringify(job)).not.toContain('s3cret');
      await batch.stop();
    });
  });
});
