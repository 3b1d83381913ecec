import type { Wave } from './waves-api.ts';

/**
 * Where a wave stands: being written, failed (with the reason), scheduled, open, or past its
 * deadline.
 */
export function WaveStatusTag({ wave, now = Date.now() }: { wave: Wave; now?: number }) {
  if (wave.status === 'creating') return <span className="tag">creating…</span>;
  if (wave.status === 'failed') {
    return (
      <span className="tag tag-bad" title={wave.error ?? undefined}>
        failed
      </span>
    );
  }
  if (Date.parse(wave.startAt) > now) return <span className="tag">scheduled</span>;
  if (wave.deadline && Date.parse(wave.deadline) <= now) return <span className="tag">closed</span>;
  return <span className="tag tag-good">open</span>;
}
