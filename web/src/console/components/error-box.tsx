import { ApiError } from '../../shared/api-client.ts';

/** The message of an API error (with its code), or of any other failure. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError && error.status > 0 ? error.code : null;
  return (
    <div className="error-box" role="alert">
      {message}
      {code ? <span className="error-code">{code}</span> : null}
    </div>
  );
}
