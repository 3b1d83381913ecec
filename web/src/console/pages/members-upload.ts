import { ApiError } from '../../shared/api-client.ts';
import type { ImportResult } from '../api.ts';

export interface UploadOptions {
  /** The key column, or `@line`. */
  key: string;
  /** Tab-separated: sent as text/tab-separated-values, else text/csv (the server guesses the delimiter). */
  tab: boolean;
  /** The progress token the server files the import's progress under. */
  token: string;
  onUpload: (sentBytes: number) => void;
}

export interface Upload {
  result: Promise<ImportResult>;
  abort(): void;
}

/** A random progress token: 16 bytes (128 bits) as base64url, 22 characters. */
export function progressToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function failure(xhr: XMLHttpRequest): ApiError {
  try {
    const body = JSON.parse(xhr.responseText) as {
      error?: { code?: unknown; message?: unknown; details?: unknown };
    };
    const { code, message, details } = body.error ?? {};
    if (typeof code === 'string' && typeof message === 'string') {
      const detail =
        typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : undefined;
      return new ApiError(xhr.status, code, message, detail);
    }
  } catch {
    // Not our JSON (a proxy's page): fall through to the status line.
  }
  return new ApiError(xhr.status, 'HTTP_ERROR', `The server answered ${xhr.status} ${xhr.statusText}`);
}

/**
 * Sends a member file as the body of `POST /api/v1/members/import`. XMLHttpRequest rather than
 * fetch, because only it reports how many bytes of the upload went out; the file is read from
 * disk as it is sent, never held in memory.
 *
 * @example
 * const upload = uploadMembers(file, { key: 'external_id', tab: false, token, onUpload: setSent });
 * const result = await upload.result;
 */
export function uploadMembers(file: File, options: UploadOptions): Upload {
  const xhr = new XMLHttpRequest();
  const params = new URLSearchParams({ key: options.key, progress: options.token });
  const result = new Promise<ImportResult>((resolve, reject) => {
    xhr.upload.onprogress = (event) => options.onUpload(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as ImportResult);
        } catch (cause) {
          reject(
            new ApiError(xhr.status, 'HTTP_ERROR', 'The server answered something other than JSON', {
              cause: String(cause),
            }),
          );
        }
      } else {
        reject(failure(xhr));
      }
    };
    xhr.onerror = () =>
      reject(new ApiError(0, 'NETWORK', 'The upload was cut off. Check the connection and try again.'));
    xhr.onabort = () =>
      reject(new ApiError(0, 'ABORTED', 'The import was cancelled; rows written before stay.'));
  });
  xhr.open('POST', `/api/v1/members/import?${params}`);
  xhr.setRequestHeader('accept', 'application/json');
  xhr.setRequestHeader('content-type', options.tab ? 'text/tab-separated-values' : 'text/csv');
  xhr.send(file);
  return { result, abort: () => xhr.abort() };
}

/** The header of a member file, read from its first 64 KB, and its delimiter guessed as the server does. */
export async function readHeader(file: File): Promise<{ columns: string[]; tab: boolean }> {
  const head = await file.slice(0, 64 * 1024).text();
  const text = head.startsWith('\ufeff') ? head.slice(1) : head;
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const tabs = firstLine.split('\t').length - 1;
  const commas = firstLine.split(',').length - 1;
  const tab = tabs > commas;
  return { columns: firstRecord(text, tab ? '\t' : ',').map(cleanName), tab };
}

/** The first record of a CSV/TSV text, RFC 4180 quoting. */
function firstRecord(text: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') break;
    else field += c;
  }
  fields.push(field);
  return fields;
}

/** A header cell as the server names the column: trimmed, single quotes and `:type` taken off. */
function cleanName(cell: string): string {
  let name = cell.trim();
  if (name.length >= 2 && name.startsWith("'") && name.endsWith("'")) name = name.slice(1, -1).trim();
  return name.replace(/\s*:\s*(number|date|text|list)$/i, '');
}

/** Rejected lines as a CSV file (UTF-8 with a BOM, so spreadsheet programs read it right). */
export function rejectedCsv(rows: { line: number; reason: string }[]): Blob {
  const quote = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = ['line,reason', ...rows.map((r) => `${r.line},${quote(r.reason)}`)];
  return new Blob([`\ufeff${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
}
