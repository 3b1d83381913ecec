import type { BatchEvent } from '../../../../src/batch/notifiers/notifier.ts';

/** A failed run's event, as the executor builds it. */
export function failedEvent(over: Partial<BatchEvent> = {}): BatchEvent {
  return {
    kind: 'failed',
    job: 'warehouse',
    runId: 'run_1',
    date: '20260301',
    trigger: 'schedule',
    attempts: 3,
    exitCode: 2,
    error: 'exit code 2',
    at: '2026-03-01T10:00:00.000Z',
    logTail: ['loading 20260301', 'error: table <answers> & co missing'],
    ...over,
  };
}
