import type { Counts } from '../api.ts';

const labels: [keyof Counts, string][] = [
  ['in_progress', 'In progress'],
  ['completed', 'Completed'],
  ['screened_out', 'Screened out'],
];

/** Response counts by status, as a row of figures. */
export function CountsRow({ counts }: { counts: Counts }) {
  return (
    <dl className="counts">
      {labels.map(([key, label]) => (
        <div key={key} className={`count count-${key}`}>
          <dt>{label}</dt>
          <dd data-status={key}>{counts[key].toLocaleString()}</dd>
        </div>
      ))}
    </dl>
  );
}
