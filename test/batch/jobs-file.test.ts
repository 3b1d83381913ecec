import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/batch/backoff.ts';
import { addDays, dateInZone, daysBetween, parseRunDate } from '../../src/batch/dates.ts';
import { formatDuration, parseDuration } from '../../src/batch/duration.ts';
import { defaultRetry, parseJobsFile } from '../../src/batch/jobs-file.ts';
import { Masker } from '../../src/batch/masker.ts';
import { resolveJobs } from '../../src/batch/secrets.ts';
import { isEnqueteError } from '../../src/kernel/index.ts';

const original = `
- endpoint: /ibis/update_answer
  image: 'ibis-container:latest'
  cmd: /work/run.sh
  cpu: 256
  memory: 512
  env:
    BQ_KEY: 'credential'
  retryable: true
`;

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isEnqueteError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('jobs.yaml', () => {
  it('loads the original list form unchanged', () => {
    const file = parseJobsFile(original);
    expect(file.notifiers).toEqual({});
    expect(file.jobs).toEqual([
      {
        name: 'ibis-update_answer',
        endpoint: '/ibis/update_answer',
        description: null,
        image: 'ibis-container:latest',
        cmd: '/work/run.sh',
        args: [],
        cpu: 256,
        memory: 512,
        env: { BQ_KEY: 'credential' },
        workdir: null,
        schedule: null,
        timezone: 'UTC',
        runner: 'local',
        timeoutMs: null,
        jitterMs: 0,
        retryable: true,
        retry: { attempts: 3, minBackoffMs: 5000, maxBackoffMs: 3_600_000, maxDoublings: 5 },
        overlap: 'skip',
        catchup: { policy: 'once', max: 10 },
        notify: [],
      },
    ]);
  });

  it('loads the map form with defaults, notifiers and the richer keys', () => {
    const file = parseJobsFile(`
defaults:
  timezone: Asia/Tokyo
  timeout: 30m
  notify: ops
  env: { REGION: tokyo }
notifiers:
  ops: { type: webhook, url: 'https://hooks.example.org/\${HOOK_TOKEN}' }
jobs:
  - name: warehouse
    description: nightly warehouse build
    cmd: [enquete, warehouse, build]
    args: ['--date', '{date}']
    schedule: '0 30 2 * * *'
    timezone: America/New_York
    runner: local
    retry: { attempts: 5, minBackoff: 10s, maxBackoff: 5m, maxDoublings: 3 }
    overlap: queue
    catchup: { policy: all, max: 3 }
    jitter: 90s
    env: { PORT: 8080, VERBOSE: true }
  - endpoint: /reminders
    cmd: echo hi
    retryable: false
`);
    const [warehouse, reminders] = file.jobs;
    expect(warehouse).toMatchObject({
      name: 'warehouse',
      endpoint: '/warehouse',
      description: 'nightly warehouse build',
      cmd: ['enquete', 'warehouse', 'build'],
      args: ['--date', '{date}'],
      schedule: '0 30 2 * * *',
      timezone: 'America/New_York',
      timeoutMs: 1_800_000,
      jitterMs: 90_000,
      retryable: true,
      retry: { attempts: 5, minBackoffMs: 10_000, maxBackoffMs: 300_000, maxDoublings: 3 },
      overlap: 'queue',
      catchup: { policy: 'all', max: 3 },
      notify: ['ops'],
      env: { REGION: 'tokyo', PORT: '8080', VERBOSE: 'true' },
    });
    expect(reminders).toMatchObject({
      name: 'reminders',
      endpoint: '/reminders',
      timezone: 'Asia/Tokyo',
      retryable: false,
      retry: { ...defaultRetry, attempts: 1 },
      notify: ['ops'],
    });
    expect(file.notifiers).toEqual({
      ops: { type: 'webhook', url: `https://hooks.example.org/\${HOOK_TOKEN}`, headers: {} },
    });
  });

  it('names the job by index and endpoint, and the key, in errors', () => {
    const e = errorOf(() =>
      parseJobsFile(`
- { endpoint: /a, cmd: a }
- { endpoint: /b, cmd: b }
- { endpoint: /ibis/update_answer, cmd: c, cpu: lots }
`),
    );
    expect(e.code).toBe('BATCH_JOBS_INVALID');
    expect(e.message).toBe('jobs.yaml: jobs[2] (/ibis/update_answer): cpu: expected a number');
  });

  it('lists every problem: unknown keys, bad cron, zone, timeout, policy, references, duplicates', () => {
    const e = errorOf(() =>
      parseJobsFile(
        `
notifiers:
  ops: { type: webhook, url: 'https://x' }
jobs:
  - { name: a, cmd: a, schedule: '61 * * * *' }
  - { name: b, cmd: b, timezone: Mars/Olympus, timeout: soon, overlap: never, colour: red }
  - { name: c, cmd: c, notify: [ops, pager] }
  - { name: a, cmd: d }
  - { endpoint: /e, runner: container, cmd: e }
  - { endpoint: /f, retryable: false, retry: { attempts: 2 } }
  - { cmd: g }
`,
        'jobs-test.yaml',
      ),
    );
    expect(e.message.split('; ')).toEqual([
      'jobs-test.yaml: jobs[0] (a): schedule: Invalid value for minute: 61',
      'jobs[1] (b): timezone: expected an IANA time zone such as Europe/Paris',
      'jobs[1] (b): timeout: expected a duration such as 90s, 30m or 1h30m',
      'jobs[1] (b): overlap: expected one of skip, queue, allow, replace',
      'jobs[1] (b): colour: unknown key',
      'jobs[2] (c): notify: no notifier named pager',
      'jobs[4] (/e): image: required for the container runner',
      'jobs[5] (/f): cmd: required for the local runner',
      'jobs[5] (/f): retry: given but retryable is false',
      'jobs[6]: name or endpoint is required',
      'jobs[3] (a): name: a is already used by jobs[0] (a)',
    ]);
  });

  it('rejects a document that is neither a list nor a map of jobs, and broken YAML', () => {
    expect(errorOf(() => parseJobsFile('jobs: 3')).message).toBe('jobs.yaml: jobs: expected a list');
    expect(errorOf(() => parseJobsFile('- [unclosed')).code).toBe('BATCH_JOBS_INVALID');
    expect(parseJobsFile('')).toEqual({ jobs: [], notifiers: {} });
  });
});

describe('secrets', () => {
  const file = parseJobsFile(`
notifiers:
  hook: { type: webhook, url: 'http://127.0.0.1/\${HOOK}', headers: { Authorization: 'Bearer \${HOOK}' } }
jobs:
  - name: load
    cmd: run
    env: { DSN: 'postgres://app:\${DB_PASS}@db/app', PLAIN: visible }
`);

  it('resolves references and masks every resolved value', () => {
    const { jobs, notifiers, masker } = resolveJobs(file, { DB_PASS: 'pa55word', HOOK: 'h00k' });
    expect(jobs[0]!.env).toEqual({ DSN: 'postgres://app:pa55word@db/app', PLAIN: 'visible' });
    expect(notifiers['hook']).toEqual({
      type: 'webhook',
      url: 'http://127.0.0.1/h00k',
      headers: { Authorization: 'Bearer h00k' },
    });
    expect(masker.size).toBe(2);
    expect(masker.mask('connect postgres://app:pa55word@db/app token h00k, visible')).toBe(
      'connect postgres://app:***@db/app token ***, visible',
    );
  });

  it('names the job and the variable that is missing', () => {
    const e = errorOf(() => resolveJobs(file, { HOOK: 'x' }));
    expect(e.code).toBe('BATCH_SECRET_MISSING');
    expect(e.message).toBe(`job load: env.DSN references \${DB_PASS}, which is not set`);
  });

  it('masks the longest secret first', () => {
    expect(new Masker(['abc', 'abcdef']).mask('xabcdefx abc')).toBe('x***x ***');
    expect(new Masker(['', 'k']).mask('kk')).toBe('******');
  });
});

describe('durations, dates and backoff', () => {
  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(45)).toBe(45_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('5 m')).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });

  it('computes run dates in a time zone and checks calendar days', () => {
    // 03:00 UTC on 8 March is still the evening of 7 March in New York (EST, UTC-5).
    expect(dateInZone(new Date('2026-03-08T03:00:00Z'), 'America/New_York')).toBe('20260307');
    expect(dateInZone(new Date('2026-03-08T15:30:00Z'), 'Asia/Tokyo')).toBe('20260309');
    expect(parseRunDate('20240229')).toBe('20240229');
    for (const bad of ['20260229', '2026-03-01', '20261301', '2026031', 'today']) {
      expect(errorOf(() => parseRunDate(bad)).code).toBe('BATCH_DATE_INVALID');
    }
    expect(addDays('20261231', 1)).toBe('20270101');
    expect(daysBetween('20240227', '20240301')).toEqual(['20240227', '20240228', '20240229', '20240301']);
    expect(errorOf(() => daysBetween('20240302', '20240301')).code).toBe('BATCH_RANGE_INVALID');
  });

  it('backs off like Cloud Scheduler', () => {
    // The documented example: min 10 s, max 300 s, 3 doublings.
    const doc = { attempts: 9, minBackoffMs: 10_000, maxBackoffMs: 300_000, maxDoublings: 3 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((r) => backoffMs(doc, r) / 1000)).toEqual([
      10, 20, 40, 80, 160, 240, 300, 300,
    ]);
    // Defaults: 5 s doubled five times (160 s), then +160 s per retry, capped at one hour.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 30].map((r) => backoffMs(defaultRetry, r) / 1000)).toEqual([
      5, 10, 20, 40, 80, 160, 320, 480, 3600,
    ]);
  });
});
