import { useState } from 'react';
import { formatInstant, type OutboxMessage } from './waves-api.ts';

/**
 * Prepended to a message's HTML inside the preview frame: nothing the message names is fetched
 * (no tracking pixel, no remote style), only inline styles and data: images show; and a link
 * opens a new window, which the sandbox refuses, so a click in the preview never visits the
 * member's survey link (that would record the member as having opened it).
 */
const frameHead =
  '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; style-src \'unsafe-inline\'">' +
  '<base target="_blank">';

type View = 'text' | 'html' | 'source' | 'headers';

/**
 * One outbox message: where it goes, how its sending went, and its text or HTML part. The HTML
 * renders in a sandboxed frame (no scripts, no same origin, no navigation of the console) or as
 * escaped source; it never becomes part of the console's own page.
 */
export function OutboxPreview({ message, onClose }: { message: OutboxMessage; onClose: () => void }) {
  const [view, setView] = useState<View>('text');
  const views: [View, string][] = [
    ['text', 'Text'],
    ['html', 'HTML'],
    ['source', 'HTML source'],
    ['headers', 'Headers'],
  ];
  return (
    <section className="card outbox-preview" aria-label={`Message ${message.id}`}>
      <div className="preview-head">
        <h2>Message {message.id}</h2>
        <button type="button" className="small" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="fields">
        <dt>To</dt>
        <dd data-field="to">{message.to}</dd>
        <dt>Subject</dt>
        <dd data-field="subject">{message.subject}</dd>
        <dt>Kind</dt>
        <dd>{message.kind}</dd>
        <dt>Status</dt>
        <dd>
          {message.status}
          {message.attempts > 0
            ? ` after ${message.attempts} attempt${message.attempts === 1 ? '' : 's'}`
            : ''}
          {message.sentAt ? ` · sent ${formatInstant(message.sentAt)}` : ''}
          {message.status === 'queued' ? ` · due ${formatInstant(message.nextAttemptAt)}` : ''}
        </dd>
        {message.lastError ? (
          <>
            <dt>Last error</dt>
            <dd className="bad">{message.lastError}</dd>
          </>
        ) : null}
        {message.messageId ? (
          <>
            <dt>Message-ID</dt>
            <dd>
              <code>{message.messageId}</code>
            </dd>
          </>
        ) : null}
      </dl>
      <div className="tabs" role="tablist" aria-label="Part of the message">
        {views.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            aria-selected={view === key}
            className={view === key ? 'tab active' : 'tab'}
            onClick={() => setView(key)}
          >
            {label}
          </button>
        ))}
      </div>
      {view === 'text' ? <pre className="source message-text">{message.text}</pre> : null}
      {view === 'html' ? (
        <iframe
          className="message-frame"
          title={`HTML part of message ${message.id}`}
          sandbox=""
          referrerPolicy="no-referrer"
          srcDoc={`${frameHead}${message.html}`}
        />
      ) : null}
      {view === 'source' ? <pre className="source message-text">{message.html}</pre> : null}
      {view === 'headers' ? (
        <table className="table" aria-label="Headers">
          <tbody>
            {Object.entries(message.headers).map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>
                  <code>{value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
