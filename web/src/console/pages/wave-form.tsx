import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../../shared/api-client.ts';
import { api, type SurveySummary } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { SegmentProblem } from './segments-problem.tsx';
import { type Channel, defaultInvitation, type WaveCreated, type WaveInput, wavesApi } from './waves-api.ts';

/** Quiet time after the last keystroke before the segment is counted. */
const debounceMs = 300;

type Count =
  | { state: 'idle' }
  | { state: 'counting'; expression: string }
  | { state: 'counted'; expression: string; count: number }
  | { state: 'failed'; expression: string; error: unknown };

/** The form fields an answer of POST /api/v1/waves can point at. */
type Field =
  | 'surveyId'
  | 'segment'
  | 'channel'
  | 'startAt'
  | 'deadline'
  | 'reminders'
  | 'name'
  | 'subject'
  | 'body'
  | 'format'
  | 'externalUrl';

const fields: Field[] = [
  'surveyId',
  'segment',
  'channel',
  'startAt',
  'deadline',
  'reminders',
  'name',
  'subject',
  'body',
  'format',
  'externalUrl',
];

/** Which field a refusal is about (segment and template errors name their place), or null. */
export function fieldOf(error: unknown): Field | null {
  if (!(error instanceof ApiError)) return null;
  if (error.code === 'SEGMENT_INVALID') return 'segment';
  const part = error.details?.['part'];
  if (error.code.startsWith('EMAIL_TEMPLATE') && (part === 'subject' || part === 'body')) return part;
  const field = error.details?.['field'];
  return typeof field === 'string' && (fields as string[]).includes(field) ? (field as Field) : null;
}

/** `YYYY-MM-DDTHH:mm` of a datetime-local input (the browser's zone) as an ISO instant. */
function instant(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * A new wave: survey, segment (counted as it is typed, its mistake at its column), channel,
 * start, deadline, reminders, the message (the default invitation shown, sent only when changed)
 * and an optional external URL. Errors of the answer appear at the field they name.
 */
export function WaveForm({
  surveys,
  initialSurvey,
  onCreated,
}: {
  surveys: SurveySummary[];
  initialSurvey: string;
  onCreated: (created: WaveCreated) => void;
}) {
  const usable = surveys.filter((s) => s.currentVersion !== null && !s.closed);
  const [surveyId, setSurveyId] = useState(
    usable.some((s) => s.id === initialSurvey) ? initialSurvey : (usable[0]?.id ?? ''),
  );
  const [segment, setSegment] = useState('');
  const [channel, setChannel] = useState<Channel>('email');
  const [startAt, setStartAt] = useState('');
  const [deadline, setDeadline] = useState('');
  const [reminders, setReminders] = useState('');
  const [name, setName] = useState('');
  const [subject, setSubject] = useState(defaultInvitation.subject);
  const [body, setBody] = useState(defaultInvitation.body);
  const [format, setFormat] = useState<'text' | 'html'>('text');
  const [externalUrl, setExternalUrl] = useState('');
  const [count, setCount] = useState<Count>({ state: 'idle' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const segmentInput = useRef<HTMLTextAreaElement>(null);
  const bodyInput = useRef<HTMLTextAreaElement>(null);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const uid = useId();
  const idOf = (field: Field) => `${uid}-${field}`;

  useEffect(() => {
    const text = segment;
    if (text.trim() === '') {
      setCount({ state: 'idle' });
      return;
    }
    let current = true;
    setCount({ state: 'counting', expression: text });
    const timer = window.setTimeout(async () => {
      try {
        const n = await api.countSegment(text);
        if (current) setCount({ state: 'counted', expression: text, count: n });
      } catch (e) {
        if (current) setCount({ state: 'failed', expression: text, error: e });
      }
    }, debounceMs);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [segment]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const input: WaveInput = { surveyId, segment, channel };
    const start = instant(startAt);
    if (start) input.startAt = start;
    const end = instant(deadline);
    if (end) input.deadline = end;
    if (channel === 'email' && reminders.trim() !== '') input.reminders = reminders.trim();
    if (name.trim() !== '') input.name = name.trim();
    if (channel === 'email') {
      if (subject !== defaultInvitation.subject) input.subject = subject;
      if (body !== defaultInvitation.body) input.body = body;
      if (format !== 'text') input.format = format;
    }
    if (externalUrl.trim() !== '') input.externalUrl = externalUrl.trim();
    try {
      onCreated(await wavesApi.create(input));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const at = fieldOf(error);
  const problem = (field: Field) => (at === field ? <FieldProblem error={error} /> : null);
  const locateSegment = (column: number) => {
    segmentInput.current?.focus();
    segmentInput.current?.setSelectionRange(column - 1, column - 1);
  };
  const locateBody = () => {
    const area = bodyInput.current;
    const line = Number((error as ApiError).details?.['line']);
    const column = Number((error as ApiError).details?.['column']);
    if (!area || !Number.isInteger(line) || !Number.isInteger(column)) return;
    const lines = body.split('\n');
    const offset = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + column - 1;
    area.focus();
    area.setSelectionRange(offset, offset + 1);
  };

  if (usable.length === 0) {
    return <p className="muted">Publish a survey first: a wave invites members to a published survey.</p>;
  }
  return (
    <form className="wave-form" onSubmit={submit} aria-label="New wave">
      <div className="wave-form-grid">
        <div className="field">
          <label htmlFor={idOf('surveyId')}>Survey</label>
          <select id={idOf('surveyId')} value={surveyId} onChange={(e) => setSurveyId(e.target.value)}>
            {usable.map((s) => (
              <option key={s.id} value={s.id}>
                {s.title || s.id} ({s.id})
              </option>
            ))}
          </select>
          {problem('surveyId')}
        </div>
        <div className="field">
          <label htmlFor={idOf('name')}>Name (optional)</label>
          <input
            id={idOf('name')}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. April, first wave"
          />
          {problem('name')}
        </div>
      </div>

      <div className="field">
        <label htmlFor={idOf('segment')}>Segment</label>
        <textarea
          id={idOf('segment')}
          ref={segmentInput}
          className="source-input segment-input"
          value={segment}
          rows={3}
          spellCheck={false}
          required
          placeholder="all, or e.g. region = 'Kanto' and age >= 40"
          onChange={(e) => setSegment(e.target.value)}
        />
      </div>
      <div
        className={count.state === 'counting' ? 'preview stale' : 'preview'}
        aria-busy={count.state === 'counting'}
      >
        <SegmentCount count={count} onLocate={locateSegment} />
      </div>
      {at === 'segment' ? (
        <SegmentProblem expression={segment} error={error} onLocate={locateSegment} />
      ) : null}

      <fieldset className="wave-channel">
        <legend>Channel</legend>
        <label className="inline">
          <input
            type="radio"
            name="channel"
            value="email"
            checked={channel === 'email'}
            onChange={() => setChannel('email')}
          />
          E-mail
        </label>
        <label className="inline">
          <input
            type="radio"
            name="channel"
            value="portal"
            checked={channel === 'portal'}
            onChange={() => setChannel('portal')}
          />
          Portal (listed on the member site, no message)
        </label>
        {problem('channel')}
      </fieldset>

      <div className="wave-form-grid">
        <div className="field">
          <label htmlFor={idOf('startAt')}>Start (empty: now)</label>
          <input
            id={idOf('startAt')}
            type="datetime-local"
            value={startAt}
            onChange={(e) => setStartAt(e.target.value)}
          />
          {problem('startAt')}
        </div>
        <div className="field">
          <label htmlFor={idOf('deadline')}>Deadline (optional)</label>
          <input
            id={idOf('deadline')}
            type="datetime-local"
            value={deadline}
            onChange={(e) => setDeadline(e.target.value)}
          />
          {problem('deadline')}
        </div>
        <div className="field">
          <label htmlFor={idOf('reminders')}>Reminders</label>
          <input
            id={idOf('reminders')}
            value={reminders}
            disabled={channel !== 'email'}
            placeholder="e.g. 3d,7d after the start"
            spellCheck={false}
            onChange={(e) => setReminders(e.target.value)}
          />
          {problem('reminders')}
        </div>
      </div>
      <p className="muted small-print">Times are in your time zone ({zone}).</p>

      {channel === 'email' ? (
        <div className="stack">
          <div className="field">
            <label htmlFor={idOf('subject')}>Subject</label>
            <input
              id={idOf('subject')}
              value={subject}
              spellCheck={false}
              onChange={(e) => setSubject(e.target.value)}
            />
            {problem('subject')}
          </div>
          <div className="field">
            <label htmlFor={idOf('body')}>Body</label>
            <textarea
              id={idOf('body')}
              ref={bodyInput}
              className="source-input wave-body"
              value={body}
              rows={14}
              spellCheck={false}
              onChange={(e) => setBody(e.target.value)}
            />
          </div>
          {at === 'body' ? <FieldProblem error={error} onLocate={locateBody} /> : null}
          <div className="wave-form-grid">
            <div className="field">
              <label htmlFor={idOf('format')}>Format</label>
              <select
                id={idOf('format')}
                value={format}
                onChange={(e) => setFormat(e.target.value as 'text' | 'html')}
              >
                <option value="text">text (an HTML part is made from it)</option>
                <option value="html">html</option>
              </select>
              {problem('format')}
            </div>
          </div>
          <p className="muted small-print">
            LiquidJS: <code>{'{{ member.name }}'}</code>, <code>{'{{ survey.title }}'}</code>,{' '}
            <code>{'{{ link }}'}</code>, <code>{'{{ deadline }}'}</code>,{' '}
            <code>{'{{ unsubscribe_url }}'}</code>.
            {subject === defaultInvitation.subject && body === defaultInvitation.body ? (
              ' This is the default invitation.'
            ) : (
              <>
                {' '}
                <button
                  type="button"
                  className="small"
                  onClick={() => {
                    setSubject(defaultInvitation.subject);
                    setBody(defaultInvitation.body);
                  }}
                >
                  Back to the default
                </button>
              </>
            )}
          </p>
        </div>
      ) : null}

      <div className="field">
        <label htmlFor={idOf('externalUrl')}>
          External URL (optional: the survey runs on another engine; {'{token}'} marks the member's token)
        </label>
        <input
          id={idOf('externalUrl')}
          value={externalUrl}
          placeholder="https://engine.example/s/abc?rid={token}"
          onChange={(e) => setExternalUrl(e.target.value)}
        />
        {problem('externalUrl')}
      </div>

      {at === null ? <ErrorBox error={error} /> : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || surveyId === ''}>
          {busy ? 'Creating…' : 'Create wave'}
        </button>
      </div>
    </form>
  );
}

function SegmentCount({ count, onLocate }: { count: Count; onLocate: (column: number) => void }) {
  switch (count.state) {
    case 'idle':
      return (
        <p className="muted segment-count">Write who the wave goes to; the count follows as you type.</p>
      );
    case 'counting':
      return <p className="muted segment-count">Counting…</p>;
    case 'counted':
      return (
        <p className="segment-count" role="status">
          <output aria-label="Members in the segment" data-count={count.count}>
            {count.count.toLocaleString()}
          </output>{' '}
          {count.count === 1 ? 'member' : 'members'}
          <span className="muted small-print">
            {' '}
            · opted-out members never match; members an earlier wave invited to this survey are skipped
          </span>
        </p>
      );
    case 'failed':
      return <SegmentProblem expression={count.expression} error={count.error} onLocate={onLocate} />;
  }
}

/** An error shown under the field it names. */
function FieldProblem({ error, onLocate }: { error: unknown; onLocate?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : null;
  return (
    <span className="field-error" role="alert">
      {message}
      {code ? <span className="error-code">{code}</span> : null}
      {onLocate ? (
        <button type="button" className="small" onClick={onLocate}>
          Show the place
        </button>
      ) : null}
    </span>
  );
}
