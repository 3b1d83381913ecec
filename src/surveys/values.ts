/**
 * SurveyJS's notion of an empty answer (`Helpers.isValueEmpty`): undefined, null, '', NaN, [],
 * and objects whose every value is empty.
 *
 * @example
 * isEmptyValue({ row1: '' }); // true
 * isEmptyValue(0); // false
 */
export function isEmptyValue(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (value !== null && typeof value === 'object') {
    if ((value as object).constructor !== Object) return false;
    return Object.values(value).every(isEmptyValue);
  }
  if (typeof value === 'number') return Number.isNaN(value);
  return value === undefined || value === null || value === '';
}

/** Removes empty entries from an object answer (one level, or two for matrixdropdown rows). */
export function pruneObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (isEmptyValue(inner)) continue;
    out[key] =
      depth > 1 && inner !== null && typeof inner === 'object' && !Array.isArray(inner)
        ? pruneObject(inner as Record<string, unknown>, depth - 1)
        : inner;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    (value as object).constructor === Object
  );
}
