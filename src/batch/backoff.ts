import type { RetryPolicy } from './jobs-file.ts';

/**
 * The wait before retry number `retry` (0 for the first retry), as Cloud Scheduler and Cloud
 * Tasks compute it: the wait doubles `maxDoublings` times from `minBackoff`, then grows linearly
 * by the last doubled step, and never exceeds `maxBackoff`.
 *
 * @example
 * // min 10 s, max 300 s, 3 doublings: 10, 20, 40, 80, 160, 240, 300, 300 …
 * backoffMs({ attempts: 9, minBackoffMs: 10_000, maxBackoffMs: 300_000, maxDoublings: 3 }, 4); // 160_000
 */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const d = policy.maxDoublings;
  const wait = retry <= d ? policy.minBackoffMs * 2 ** retry : policy.minBackoffMs * 2 ** d * (retry - d + 1);
  return Math.min(wait, policy.maxBackoffMs);
}
