import type { Counts } from '../api.ts';

const labels: [keyof Counts, string][] = [
  ['in_progress', 'In progress'],
  ['completed', 'Completed'],
  ['screened_out', 'Screened out'],
  ['quota_full', 'Quota full'],
];

/** Response counts by status, as a row of figures (quota full once some response ended so). */
export function CountsRow({ counts }: { counts: Counts }) {
  return (
    <dl className="counts">
      {labels.map(([key, label]) => {
        const n = counts[key];
        if (n === undefined) return null;
        return (
          <div key={key} className={`count count-${key}`}>
            <dt>{label}</dt>
            <dd data-status={key}>{n.toLocaleString()}</dd>
          </div>
        );
      })}
    </dl>
  );
}
