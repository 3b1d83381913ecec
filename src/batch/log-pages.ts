import type { BatchService } from './service-types.ts';
import type { LogLine } from './views.ts';

/** Lines a page of {@link logPages}: the most the logs read answers at once. */
export const logPageLines = 10_000;

/**
 * A run's whole log a page at a time, each read when the one before has been used, so a log of
 * hundreds of thousands of lines is never in memory at once: what `enquete jobs logs` prints and
 * the `log.txt` download sends. With `job`, only a run of that job (BATCH_RUN_NOT_FOUND otherwise).
 *
 * @example
 * for await (const page of logPages(batch, runId)) write(page.map(logLineText).join('\n'));
 */
export async function* logPages(
  batch: BatchService,
  runId: string,
  opts: { job?: string } = {},
): AsyncGenerator<LogLine[]> {
  for (let after = 0; ; ) {
    const page = await batch.logs(runId, { job: opts.job, after, limit: logPageLines });
    if (page.length === 0) return;
    yield page;
    after = page.at(-1)!.seq;
  }
}
