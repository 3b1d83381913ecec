import type { InvitationStatus, OverTimeDay, WaveProgress } from './waves-api.ts';

interface Step {
  status: InvitationStatus;
  label: string;
  /** Statuses that count as having got this far (the order of src/distribution/schedule.ts). */
  atLeast: InvitationStatus[];
  emailOnly?: boolean;
}

const finals: InvitationStatus[] = ['completed', 'screened_out', 'quota_full'];

const steps: Step[] = [
  {
    status: 'invited',
    label: 'Invited',
    atLeast: ['invited', 'send_failed', 'sent', 'opened', 'started', ...finals],
  },
  { status: 'sent', label: 'Sent', atLeast: ['sent', 'opened', 'started', ...finals], emailOnly: true },
  { status: 'send_failed', label: 'Send failed', atLeast: ['send_failed'], emailOnly: true },
  { status: 'opened', label: 'Opened', atLeast: ['opened', 'started', ...finals] },
  { status: 'started', label: 'Started', atLeast: ['started', ...finals] },
  { status: 'completed', label: 'Completed', atLeast: ['completed'] },
  { status: 'screened_out', label: 'Screened out', atLeast: ['screened_out'] },
  { status: 'quota_full', label: 'Quota full', atLeast: ['quota_full'] },
];

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 1000) / 10}%`;
}

/**
 * A wave's invitations by status: how many got at least this far (with a bar against the
 * invited) and how many are at this status now.
 */
export function StatusFunnel({ progress }: { progress: WaveProgress }) {
  const { byStatus, wave } = progress;
  const shown = steps.filter((s) => wave.channel === 'email' || !s.emailOnly);
  const invited = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return (
    <table className="table funnel" aria-label="Progress by status">
      <thead>
        <tr>
          <th>Status</th>
          <th className="num">Reached</th>
          <th className="bar-cell">Share</th>
          <th className="num">Now</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((step) => {
          const reached = step.atLeast.reduce((sum, s) => sum + byStatus[s], 0);
          return (
            <tr key={step.status} data-status={step.status}>
              <th scope="row">{step.label}</th>
              <td className="num" data-reached={reached}>
                {reached.toLocaleString()}
              </td>
              <td className="bar-cell">
                <span className="bar" title={percent(reached, invited)}>
                  <span
                    className={`bar-fill bar-${step.status}`}
                    style={{ width: percent(reached, invited) }}
                  />
                </span>
                <span className="muted small-print"> {percent(reached, invited)}</span>
              </td>
              <td className="num" data-now={byStatus[step.status]}>
                {byStatus[step.status].toLocaleString()}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Invitations opened, by the channel of the first visit (`?ch=` of the link). */
export function ByChannel({ progress }: { progress: WaveProgress }) {
  if (progress.byChannel.length === 0) return <p className="muted">Nobody has opened an invitation yet.</p>;
  return (
    <table className="table" aria-label="Progress by channel">
      <thead>
        <tr>
          <th>Channel</th>
          <th className="num">Opened</th>
          <th className="num">Started</th>
          <th className="num">Completed</th>
        </tr>
      </thead>
      <tbody>
        {progress.byChannel.map((c) => (
          <tr key={c.channel} data-channel={c.channel}>
            <td>{c.channel || 'unknown'}</td>
            <td className="num">{c.opened.toLocaleString()}</td>
            <td className="num">{c.started.toLocaleString()}</td>
            <td className="num">{c.completed.toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const series: { key: keyof Omit<OverTimeDay, 'date'>; label: string; color: string }[] = [
  { key: 'sent', label: 'Sent', color: '#98a2b3' },
  { key: 'opened', label: 'Opened', color: '#53b1fd' },
  { key: 'started', label: 'Started', color: '#1f6feb' },
  { key: 'completed', label: 'Completed', color: '#067647' },
  { key: 'screenedOut', label: 'Screened out', color: '#dc6803' },
  { key: 'quotaFull', label: 'Quota full', color: '#b42318' },
  { key: 'reminded', label: 'Reminded', color: '#9e77ed' },
];

/** Milestones per UTC day: a small bar chart (plain SVG) and the table it draws. */
export function OverTime({ progress }: { progress: WaveProgress }) {
  const days = progress.overTime;
  if (days.length === 0) return <p className="muted">Nothing has happened yet.</p>;
  const max = Math.max(1, ...days.flatMap((d) => series.map((s) => d[s.key])));
  // Wide bars for a few days, narrow ones for many, so the chart stays about 600 px wide.
  const bar = Math.max(3, Math.min(14, Math.floor(600 / days.length / (series.length + 1))));
  const group = series.length * bar + bar;
  const height = 90;
  const width = Math.max(group * days.length, 120);
  return (
    <>
      <svg
        className="over-time-chart"
        role="img"
        aria-label="Milestones per day"
        viewBox={`0 0 ${width} ${height + 14}`}
        width={width}
        height={height + 14}
      >
        {days.map((d, i) => (
          <g key={d.date} transform={`translate(${i * group}, 0)`}>
            {series.map((s, j) => {
              const h = (d[s.key] / max) * height;
              return (
                <rect key={s.key} x={j * bar} y={height - h} width={bar - 1} height={h} fill={s.color}>
                  <title>
                    {d.date} {s.label}: {d[s.key]}
                  </title>
                </rect>
              );
            })}
            <text x={0} y={height + 12} fontSize="9" fill="#667085">
              {d.date.slice(5)}
            </text>
          </g>
        ))}
      </svg>
      <div className="table-scroll">
        <table className="table over-time" aria-label="Milestones per day">
          <thead>
            <tr>
              <th>Day (UTC)</th>
              {series.map((s) => (
                <th key={s.key} className="num">
                  <span className="swatch" style={{ background: s.color }} /> {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.date} data-date={d.date}>
                <td>{d.date}</td>
                {series.map((s) => (
                  <td key={s.key} className="num" data-series={s.key}>
                    {d[s.key].toLocaleString()}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
