import { z } from 'zod';
import { parseDuration } from '../duration.ts';

/**
 * Field types shared by the runners' settings schemas. Runner settings may hold `${NAME}`
 * references (expanded from the server's environment when the service starts), so a pattern is
 * checked on the text as written only when it holds no reference, and again after expansion.
 */
export function patternText(pattern: RegExp, message: string) {
  return z.string().refine((v) => v.includes('${') || pattern.test(v), { message });
}

/** A duration such as `2s` or `1m30s`; a bare number is seconds. */
export function durationSetting(example: string) {
  return z
    .union([z.string(), z.number()])
    .refine((v) => (typeof v === 'string' && v.includes('${')) || parseDuration(v) !== undefined, {
      message: `expected a duration such as ${example}`,
    });
}

/** Milliseconds of a validated duration setting, or `fallback` when absent. */
export function settingMs(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}
