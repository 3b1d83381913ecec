import { parseDocument } from 'yaml';
import { jsonErrorOffset } from './json-error-offset.ts';
import type { DefinitionError, SourceFormat } from './types.ts';

export type ParsedSource = { ok: true; value: unknown } | { ok: false; errors: DefinitionError[] };

/**
 * Picks the format: the one asked for, else the file extension, else JSON when the text starts
 * with `{`, else YAML.
 *
 * @example
 * detectFormat('{"title": "x"}'); // 'json'
 * detectFormat('title: x', undefined, 'survey.yaml'); // 'yaml'
 */
export function detectFormat(source: string, format?: SourceFormat, filename?: string): SourceFormat {
  if (format) return format;
  const lower = filename?.toLowerCase() ?? '';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return source.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** `line L, column C` (both 1-based) of a character offset. */
export function placeOfOffset(source: string, offset: number): string {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lines = before.split('\n');
  const line = lines.length;
  const column = (lines[lines.length - 1] ?? '').length + 1;
  return `line ${line}, column ${column}`;
}

function parseJson(source: string): ParsedSource {
  try {
    return { ok: true, value: JSON.parse(source) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = jsonErrorOffset(source) ?? source.length;
    return {
      ok: false,
      errors: [{ place: placeOfOffset(source, offset), message: `invalid JSON: ${message}` }],
    };
  }
}

function parseYaml(source: string): ParsedSource {
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const place = pos ? `line ${pos.line}, column ${pos.col}` : placeOfOffset(source, first.pos[0]);
    return { ok: false, errors: [{ place, message: `invalid YAML: ${first.message.split('\n')[0]}` }] };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (error) {
    // yaml throws (a ReferenceError) when aliases expand past maxAliasCount: a "billion laughs".
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, errors: [{ place: 'line 1, column 1', message: `invalid YAML: ${message}` }] };
  }
}

/**
 * Parses a survey source (SurveyJS JSON, or the same in YAML). Syntax errors name their line and
 * column.
 *
 * @example
 * const parsed = parseSource('{"title": "Q"', 'json');
 * // { ok: false, errors: [{ place: 'line 1, column 13', message: 'invalid JSON: …' }] }
 */
export function parseSource(source: string, format?: SourceFormat, filename?: string): ParsedSource {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const chosen = detectFormat(text, format, filename);
  const parsed = chosen === 'json' ? parseJson(text) : parseYaml(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ place: 'line 1, column 1', message: 'a survey must be an object' }] };
  }
  return parsed;
}
