import { ApiError } from '../../shared/api-client.ts';
import { ErrorBox } from '../components/error-box.tsx';

/** Where a 1-based column of a (possibly multi-line) expression falls: its line and its place in it. */
export function locate(expression: string, column: number): { line: number; text: string; at: number } {
  const offset = Math.min(Math.max(column - 1, 0), expression.length);
  const start = expression.lastIndexOf('\n', offset - 1) + 1;
  const end = expression.indexOf('\n', offset);
  return {
    line: expression.slice(0, start).split('\n').length,
    text: expression.slice(start, end === -1 ? undefined : end),
    at: offset - start,
  };
}

/** The column of a SEGMENT_INVALID answer, or null for any other failure. */
export function segmentColumn(error: unknown): number | null {
  if (!(error instanceof ApiError) || error.code !== 'SEGMENT_INVALID') return null;
  const column = error.details?.['column'];
  return typeof column === 'number' && Number.isInteger(column) && column >= 1 ? column : null;
}

/**
 * A segment's mistake as the API names it: the column, the message, and the expression's line
 * with the character at that column marked (a mark past the end means "something is missing here").
 */
export function SegmentProblem({
  expression,
  error,
  onLocate,
}: {
  expression: string;
  error: unknown;
  /** Puts the editor's cursor at the mistake. */
  onLocate?: (column: number) => void;
}) {
  const column = segmentColumn(error);
  if (column === null || !(error instanceof ApiError)) return <ErrorBox error={error} />;
  const detail = error.details?.['message'];
  const message = typeof detail === 'string' ? detail : error.message;
  const place = locate(expression, column);
  const multiLine = expression.includes('\n');
  const marked = place.text[place.at];
  return (
    <div className="error-box segment-error" role="alert">
      <p>
        <strong data-column={column}>Column {column}</strong>
        {multiLine ? ` (line ${place.line}, character ${place.at + 1})` : null}: {message}
        <span className="error-code">{error.code}</span>
      </p>
      <pre className="segment-line">
        {place.text.slice(0, place.at)}
        <mark title={`column ${column}`}>{marked === undefined || marked === ' ' ? '\u00a0' : marked}</mark>
        {place.text.slice(place.at + 1)}
      </pre>
      {onLocate ? (
        <button type="button" className="small" onClick={() => onLocate(column)}>
          Go to column {column}
        </button>
      ) : null}
    </div>
  );
}
