import { describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../../src/batch/jobs-file.ts';
import { resolveJobs } from '../../../src/batch/secrets.ts';
import type { EnqueteError } from '../../../src/kernel/index.ts';

function errorOf(fn: () => unknown): EnqueteError {
  try {
    fn();
  } catch (e) {
    return e as EnqueteError;
  }
  throw new Error('expected an error');
}

describe('notifiers in jobs.yaml', () => {
  it('loads webhook, slack and email notifiers with their rate limits', () => {
    const file = parseJobsFile(`
notifiers:
  hook: { type: webhook, url: 'https://hooks.example.org/x', headers: { X-Team: data }, rateLimit: { max: 5, per: 10m } }
  team: { type: slack, url: 'https://hooks.slack.com/services/\${SLACK_PATH}' }
  mail: { type: email, to: ops@example.org, from: 'enquete <b@example.org>', smtpUrl: 'smtp://mx:25', rateLimit: { max: 1, per: 60 } }
  list: { type: email, to: [a@example.org, b@example.org] }
jobs:
  - { name: a, cmd: 'true', notify: [hook, team, mail, list] }
`);
    expect(file.notifiers).toEqual({
      hook: {
        type: 'webhook',
        url: 'https://hooks.example.org/x',
        headers: { 'X-Team': 'data' },
        rateLimit: { max: 5, perMs: 600_000 },
      },
      team: { type: 'slack', url: `https://hooks.slack.com/services/\${SLACK_PATH}` },
      mail: {
        type: 'email',
        to: ['ops@example.org'],
        from: 'enquete <b@example.org>',
        smtpUrl: 'smtp://mx:25',
        rateLimit: { max: 1, perMs: 60_000 },
      },
      list: { type: 'email', to: ['a@example.org', 'b@example.org'] },
    });
    expect(file.jobs[0]!.notify).toEqual(['hook', 'team', 'mail', 'list']);
  });

  it('names the notifier and the key of every problem', () => {
    const e = errorOf(() =>
      parseJobsFile(`
notifiers:
  pager: { type: pagerduty, url: x }
  team: { type: slack }
  mail: { type: email, to: [] }
  slow: { type: webhook, url: x, rateLimit: { max: 0, per: 100ms } }
  odd: { type: slack, url: x, channel: '#ops' }
jobs: []
`),
    );
    expect(e.code).toBe('BATCH_JOBS_INVALID');
    expect(e.details?.['errors']).toEqual([
      'notifiers.pager: type: expected type: webhook, slack or email',
      'notifiers.team: url: expected a text',
      'notifiers.mail: to: expected at least one address',
      'notifiers.slow: rateLimit.max: expected 1 or more',
      'notifiers.slow: rateLimit.per: expected a duration of 1s or more',
      'notifiers.odd: channel: unknown key',
    ]);
  });

  it('resolves secrets in Slack URLs and e-mail settings, and masks them', () => {
    const file = parseJobsFile(`
notifiers:
  team: { type: slack, url: 'https://hooks.slack.com/services/\${SLACK_PATH}' }
  mail: { type: email, to: '\${OPS_MAIL}', smtpUrl: 'smtp://u:\${SMTP_PASS}@mx:25' }
jobs: []
`);
    const r = resolveJobs(file, { SLACK_PATH: 'T1/B2/c3', OPS_MAIL: 'ops@example.org', SMTP_PASS: 'pw9' });
    expect(r.notifiers['team']).toEqual({ type: 'slack', url: 'https://hooks.slack.com/services/T1/B2/c3' });
    expect(r.notifiers['mail']).toEqual({
      type: 'email',
      to: ['ops@example.org'],
      smtpUrl: 'smtp://u:pw9@mx:25',
    });
    expect(r.masker.mask('T1/B2/c3 pw9')).toBe('*** ***');
    const missing = errorOf(() => resolveJobs(file, { SLACK_PATH: 'x' }));
    expect(missing.message).toBe(
      `notifier mail: to[0] references \${OPS_MAIL}, which is not set; notifier mail: smtpUrl references \${SMTP_PASS}, which is not set`,
    );
  });
});
