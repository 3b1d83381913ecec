/**
 * Just enough MIME reading for the tests (no mail parser among the dependencies): unfolded,
 * RFC 2047-decoded headers, and the text/plain and text/html parts decoded from base64 or
 * quoted-printable as UTF-8. Line ends come back as `\n`.
 */
export interface ParsedMessage {
  header(name: string): string | undefined;
  headers(name: string): string[];
  text: string | undefined;
  html: string | undefined;
}

function decodeQuotedPrintable(body: string): Buffer {
  const soft = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]!;
    if (c === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_m, charset: string, encoding: string, text: string) => {
      if (charset.toLowerCase() !== 'utf-8') throw new Error(`unexpected charset ${charset}`);
      if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      return decodeQuotedPrintable(text.replace(/_/g, ' ')).toString('utf8');
    });
}

function splitHead(raw: string): { head: Map<string, string[]>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const headText = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at + 4);
  const head = new Map<string, string[]>();
  for (const line of headText.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    head.set(name, [...(head.get(name) ?? []), decodeWords(line.slice(colon + 1).trim())]);
  }
  return { head, body };
}

function leaves(raw: string, found: { text?: string; html?: string }): void {
  const { head, body } = splitHead(raw);
  const type = head.get('content-type')?.[0] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const parts = body.split(`--${boundary}`).slice(1);
    for (const part of parts) {
      if (part.startsWith('--')) break;
      leaves(part.replace(/^\r\n/, ''), found);
    }
    return;
  }
  const encoding = (head.get('content-transfer-encoding')?.[0] ?? '7bit').toLowerCase();
  const bytes =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(body)
        : Buffer.from(body, 'utf8');
  const text = bytes.toString('utf8').replace(/\r\n/g, '\n').replace(/\n$/, '');
  if (/^text\/html/i.test(type)) found.html ??= text;
  else if (/^text\/plain/i.test(type)) found.text ??= text;
}

export function parseMessage(raw: string): ParsedMessage {
  const { head } = splitHead(raw);
  const found: { text?: string; html?: string } = {};
  leaves(raw, found);
  return {
    header: (name) => head.get(name.toLowerCase())?.[0],
    headers: (name) => head.get(name.toLowerCase()) ?? [],
    text: found.text,
    html: found.html,
  };
}
