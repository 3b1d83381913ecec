/** An error answered by the API: `{"error": {"code", "message", "details"?}}`, or a transport failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Survives the page being unloaded (saves on `pagehide`). */
  keepalive?: boolean;
}

/**
 * Calls the JSON API with the session cookie and returns the parsed answer (undefined for 204).
 * Any non-2xx answer becomes an ApiError carrying the server's code and message.
 *
 * @example
 * const { surveys } = await requestJson<{ surveys: Survey[] }>('GET', '/api/v1/surveys');
 */
export async function requestJson<T>(method: string, url: string, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
    keepalive: options.keepalive ?? false,
  };
  if (options.body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check the connection and try again.', {
      cause: String(cause),
    });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    const error = errorOf(parsed);
    if (error) throw new ApiError(response.status, error.code, error.message, error.details);
    throw new ApiError(
      response.status,
      'HTTP_ERROR',
      `The server answered ${response.status} ${response.statusText}`,
    );
  }
  return parsed as T;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorOf(
  body: unknown,
): { code: string; message: string; details: Record<string, unknown> | undefined } | null {
  if (typeof body !== 'object' || body === null || !('error' in body)) return null;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  const detailObject =
    typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : undefined;
  return { code, message, details: detailObject };
}
