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

/** What spreadsheets read as the start of a formula (OWASP's list), and `'`, the escape itself. */
const formulaStart = /^[=+\-@\t\r']/;

/**
 * Text a person wrote, made safe to open in a spreadsheet: when it starts with `=`, `+`, `-`, `@`,
 * a tab or a carriage return, a single quote is put in front (OWASP's advice against CSV
 * injection), so Excel and LibreOffice show it as text instead of running it. Text that starts
 * with a quote gets one more, which makes the change reversible: remove one leading `'` from a
 * text cell that has one and you have the answer as given.
 *
 * @example
 * formulaSafe('=HYPERLINK("http://evil","x")'); // `'=HYPERLINK("http://evil","x")`
 * formulaSafe('Rice'); // 'Rice'
 */
export function formulaSafe(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}
