import { describe, expect, it } from 'vitest';
import type { RunView } from '../../src/batch/index.ts';
import { progressLine } from '../../src/cli/commands/jobs.ts';

const runs = (...statuses: RunView['status'][]) => statuses.map((status) => ({ status }) as RunView);

describe('a backfill progress line', () => {
  it('counts the days by outcome, not all as done', () => {
    expect(progressLine(runs('queued', 'queued'))).toBe('0/2 done');
    expect(progressLine(runs('succeeded', 'running', 'queued'))).toBe('1/3 succeeded');
    expect(progressLine(runs('cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled'))).toBe(
      '5/5 cancelled',
    );
    expect(progressLine(runs('cancelled', 'succeeded', 'failed', 'succeeded', 'queued'))).toBe(
      '2/5 succeeded, 1 failed, 1 cancelled',
    );
  });
});
