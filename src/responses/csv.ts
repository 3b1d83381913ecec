/**
 * RFC 4180 encoding: fields separated by commas, records ended by CRLF, a field quoted when it
 * holds a comma, a double quote, CR or LF, and inner quotes doubled.
 *
 * @example
 * csvRecord(['a', 'say "hi", then go']); // 'a,"say ""hi"", then go"\r\n'
 */
export function csvRecord(fields: readonly string[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += ',';
    out += csvField(fields[i]!);
  }
  return `${out}\r\n`;
}

const needsQuotes = /[",\r\n]/;

export function csvField(value: string): string {
  return needsQuotes.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The UTF-8 byte order mark, so that Excel reads the file as UTF-8 (Japanese text included). */
export const utf8Bom = '\uFEFF';
