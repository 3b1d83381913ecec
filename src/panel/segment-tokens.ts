import { panelErrors } from './errors.ts';

export type Token =
  | { kind: 'word'; text: string; column: number; quoted: boolean }
  | { kind: 'string' | 'number' | 'date'; text: string; column: number }
  | { kind: 'op'; text: '=' | '!=' | '<' | '<=' | '>' | '>='; column: number }
  | { kind: '(' | ')' | ','; text: string; column: number }
  | { kind: 'end'; text: ''; column: number };

const wordStart = /[\p{L}_]/u;
const wordPart = /[\p{L}\p{N}_]/u;
const datePattern = /^\d{4}-\d{2}-\d{2}/;
const numberPattern = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/;
const operators = ['<=', '>=', '!=', '<>', '=', '<', '>'] as const;

/** Reads a quoted run (`'…'` or `"…"`, the quote doubled inside) starting at `start`. */
function quoted(source: string, start: number, quote: string): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  for (;;) {
    const next = source.indexOf(quote, i);
    if (next === -1) {
      const what = quote === "'" ? 'string' : 'quoted name';
      throw panelErrors.segmentInvalid(start + 1, `the ${what} that starts here is never closed`);
    }
    text += source.slice(i, next);
    if (source[next + 1] !== quote) return { text, end: next + 1 };
    text += quote;
    i = next + 2;
  }
}

/**
 * Splits a segment expression into tokens, each with its 1-based column. Words are attribute
 * names or keywords; `"…"` quotes a name that is not a plain word; `'…'` is a string.
 *
 * @example
 * tokenize("age >= 40").map((t) => t.text); // → ['age', '>=', '40', '']
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const column = i + 1;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'" || ch === '"') {
      const q = quoted(source, i, ch);
      tokens.push(
        ch === "'"
          ? { kind: 'string', text: q.text, column }
          : { kind: 'word', text: q.text, column, quoted: true },
      );
      i = q.end;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch, text: ch, column });
      i++;
    } else if (/[\d-]/.test(ch)) {
      const rest = source.slice(i);
      const date = datePattern.exec(rest)?.[0];
      const text = date ?? numberPattern.exec(rest)?.[0];
      if (text === undefined) throw panelErrors.segmentInvalid(column, `unexpected character '${ch}'`);
      const after = source[i + text.length];
      if (after !== undefined && (wordPart.test(after) || after === '.' || after === '-')) {
        throw panelErrors.segmentInvalid(i + text.length + 1, `unexpected '${after}' after ${text}`);
      }
      tokens.push({ kind: date ? 'date' : 'number', text, column });
      i += text.length;
    } else if (wordStart.test(ch)) {
      let end = i + 1;
      while (end < source.length && wordPart.test(source[end]!)) end++;
      tokens.push({ kind: 'word', text: source.slice(i, end), column, quoted: false });
      i = end;
    } else {
      const op = operators.find((o) => source.startsWith(o, i));
      if (!op) throw panelErrors.segmentInvalid(column, `unexpected character '${ch}'`);
      tokens.push({ kind: 'op', text: op === '<>' ? '!=' : op, column });
      i += op.length;
    }
  }
  tokens.push({ kind: 'end', text: '', column: source.length + 1 });
  return tokens;
}
