/**
 * Text from a command made storable: U+0000 becomes U+FFFD (the replacement character).
 * PostgreSQL's `text` cannot hold a NUL byte and refuses the whole statement, which would lose
 * every line inserted with it; SQLite could keep it, but a log reads the same on both dialects.
 *
 * @example
 * storableText('a\0b'); // 'a\uFFFDb'
 */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}
