import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../src/batch/jobs-file.ts';
import { createBatchService } from '../../src/batch/service.ts';
import type { BatchService } from '../../src/batch/service-types.ts';
import type { Db } from '../../src/db/index.ts';
import { sequentialIds, TestClock } from '../../src/kernel/index.ts';
import { dialects } from '../helpers/db.ts';
import { batchTestDb } from './helpers/batch-db.ts';

describe.each(dialects())('text from a command, stored on %s', (dialect) => {
  let db: Db;
  let dir: string;
  let service: BatchService | undefined;

  beforeEach(async () => {
    db = await batchTestDb(dialect);
    dir = mkdtempSync(join(tmpdir(), 'enquete-text-'));
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function make(yaml: string) {
    service = createBatchService({
      db,
      clock: new TestClock('2026-03-01T10:00:00.000Z'),
      ids: sequentialIds(),
      jobs: parseJobsFile(yaml),
    });
    return service;
  }

  it('keeps a line with a NUL byte, as U+FFFD, and the lines written with it', async () => {
    const batch = make(
      `[{ name: nul, cmd: "printf 'before\\\\n'; printf 'a\\\\0b\\\\n'; printf 'after\\\\n'" }]`,
    );
    const { id } = await batch.startRun('nul', { date: '20260301' });
    await batch.idle();
    expect(await batch.run(id)).toMatchObject({ status: 'succeeded', exitCode: 0 });
    const logs = await batch.logs(id);
    expect(logs.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual([
      'before',
      'a\uFFFDb',
      'after',
    ]);
    expect(logs.at(-1)?.text).toBe('succeeded on attempt 1');
  });

  it('stores a run error holding a NUL byte, as U+FFFD', async () => {
    // A container engine that fails the way podman does for an unknown image, a NUL in its words.
    const engine = join(dir, 'fake-podman');
    writeFileSync(
      engine,
      `#!/bin/sh\nif [ "$1" = run ]; then printf 'Error: bad\\0name: image not known\\n' >&2; exit 125; fi\nexit 0\n`,
    );
    chmodSync(engine, 0o755);
    const batch = make(`
runners: { container: { engine: ${engine} } }
jobs: [{ name: boxed, runner: container, image: 'bad:1', cmd: 'true' }]
`);
    const { id } = await batch.startRun('boxed', { date: '20260301' });
    await batch.idle();
    const error = 'the container engine failed: Error: bad\uFFFDname: image not known';
    expect(await batch.run(id)).toMatchObject({ status: 'failed', exitCode: 125, error });
    const logs = await batch.logs(id);
    expect(logs.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual([
      'Error: bad\uFFFDname: image not known',
    ]);
    expect(logs.at(-1)?.text).toBe(`failed on attempt 1 of 1: ${error}`);
  });
});
