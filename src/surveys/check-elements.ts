import { Serializer } from 'survey-core';
import { type ElementVisit, isRecord, type Json } from './elements.ts';
import type { DefinitionError } from './types.ts';

/** Element types the server-side validator knows how to check. */
export const SUPPORTED_TYPES = new Set([
  'text',
  'comment',
  'radiogroup',
  'dropdown',
  'checkbox',
  'tagbox',
  'boolean',
  'rating',
  'ranking',
  'matrix',
  'matrixdropdown',
  'multipletext',
  'html',
  'image',
  'panel',
]);

export const CHOICE_TYPES = new Set(['radiogroup', 'dropdown', 'checkbox', 'tagbox', 'ranking']);

/** matrixdropdown cell types the validator knows. */
export const CELL_TYPES = new Set([
  'dropdown',
  'radiogroup',
  'checkbox',
  'tagbox',
  'text',
  'comment',
  'boolean',
  'rating',
]);

/** Text input types whose min/max the validator checks as survey-core does. */
const MIN_MAX_INPUTS = new Set(['number', 'range', 'date']);

/** Question properties whose effect on answers the validator does not reproduce. */
const UNSUPPORTED_KEYS = [
  'choicesByUrl',
  'choicesFromQuestion',
  'valueName',
  'validators',
  'defaultValue',
  'defaultValueExpression',
  'setValueIf',
  'setValueExpression',
  'resetValueIf',
  'rowsVisibleIf',
  'columnsVisibleIf',
  'choicesVisibleIf',
  'choicesEnableIf',
  'hideIfChoicesEmpty',
  'hideIfRowsEmpty',
  'minValueExpression',
  'maxValueExpression',
  'showRefuseItem',
  'showDontKnowItem',
  'showSelectAllItem',
  'hasSelectAll',
];

/** Special choice values SurveyJS adds for its other/none items. */
const RESERVED_VALUES: Record<string, string[]> = {
  other: ['hasOther', 'showOtherItem'],
  none: ['hasNone', 'showNoneItem'],
};

/** Is this a SurveyJS class that can sit in a page (a question or a panel)? */
export function isElementClass(type: string): boolean {
  if (!Serializer.findClass(type)) return false;
  return Serializer.isDescendantOf(type, 'question') || type === 'panel';
}

function badName(name: string): string | null {
  if (name.trim() !== name || name === '') return 'a name cannot be empty or start or end with spaces';
  if (/[{}[\].,|]/.test(name)) return 'a name cannot contain { } [ ] . , or |';
  if (name.endsWith('-Comment')) return 'a name cannot end with -Comment (kept for "other" texts)';
  return null;
}

/** Checks a list of choices (or rows, columns): present, well formed, values unique. */
export function checkItems(
  items: unknown,
  place: string,
  errors: DefinitionError[],
  opts: { what: string; required: boolean; keyOf?: (item: Json) => unknown },
): unknown[] {
  if (items === undefined && !opts.required) return [];
  if (!Array.isArray(items) || items.length === 0) {
    errors.push({ place, message: `needs a non-empty list of ${opts.what}` });
    return [];
  }
  const seen = new Map<string, number>();
  const values: unknown[] = [];
  items.forEach((item, i) => {
    let value: unknown = item;
    if (isRecord(item)) {
      value = opts.keyOf ? opts.keyOf(item) : item['value'];
      // survey-core clears answers of choices hidden by logic while it runs conditions, which
      // cascades; the compiled validator does not reproduce that, so such choices are refused.
      for (const key of ['visibleIf', 'enableIf']) {
        if (!opts.keyOf && item[key] !== undefined) {
          errors.push({ place: `${place}[${i}].${key}`, message: `${key} on a choice is not supported` });
        }
      }
    } else if (typeof item === 'string' && item.includes('|') && !opts.keyOf) value = item.split('|')[0];
    if (
      (typeof value !== 'string' || value === '') &&
      (typeof value !== 'number' || !Number.isFinite(value))
    ) {
      errors.push({
        place: `${place}[${i}]`,
        message: `each of the ${opts.what} needs a value (text or number)`,
      });
      return;
    }
    const key = String(value).toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({
        place: `${place}[${i}]`,
        message: `duplicate value "${value}" (same as ${place}[${first}])`,
      });
      return;
    }
    seen.set(key, i);
    values.push(value);
  });
  return values;
}

function checkChoices(json: Json, place: string, errors: DefinitionError[]): void {
  const values = checkItems(json['choices'], `${place}.choices`, errors, { what: 'choices', required: true });
  for (const [reserved, flags] of Object.entries(RESERVED_VALUES)) {
    if (
      flags.some((flag) => json[flag] === true) &&
      values.some((v) => String(v).toLowerCase() === reserved)
    ) {
      errors.push({
        place: `${place}.choices`,
        message: `the value "${reserved}" is taken by the built-in ${reserved} item; use another value`,
      });
    }
  }
}

function checkMatrixDropdown(json: Json, place: string, errors: DefinitionError[]): void {
  checkItems(json['rows'], `${place}.rows`, errors, { what: 'rows', required: true });
  const keyOf = (item: Json) => item['name'];
  checkItems(json['columns'], `${place}.columns`, errors, { what: 'columns', required: true, keyOf });
  const matrixType = typeof json['cellType'] === 'string' ? json['cellType'] : 'dropdown';
  if (!Array.isArray(json['columns'])) return;
  json['columns'].forEach((column, i) => {
    if (!isRecord(column)) return;
    const at = `${place}.columns[${i}]`;
    const declared = typeof column['cellType'] === 'string' ? column['cellType'] : 'default';
    const cellType = declared === 'default' ? matrixType : declared;
    if (!CELL_TYPES.has(cellType)) {
      errors.push({ place: `${at}.cellType`, message: `cell type "${cellType}" is not supported` });
      return;
    }
    for (const key of [...UNSUPPORTED_KEYS, 'visibleIf', 'enableIf', 'requiredIf', 'totalType']) {
      if (column[key] !== undefined)
        errors.push({ place: `${at}.${key}`, message: `${key} is not supported in columns` });
    }
    if (['dropdown', 'radiogroup', 'checkbox', 'tagbox'].includes(cellType)) {
      if (column['choices'] !== undefined) checkChoices(column, at, errors);
      else checkChoices({ ...column, choices: json['choices'] }, place, errors);
    }
  });
}

function checkQuestion(json: Json, type: string, place: string, errors: DefinitionError[]): void {
  for (const key of UNSUPPORTED_KEYS) {
    if (json[key] !== undefined) {
      errors.push({ place: `${place}.${key}`, message: `${key} is not supported by server-side validation` });
    }
  }
  if (type === 'text' && (json['min'] !== undefined || json['max'] !== undefined)) {
    const inputType = typeof json['inputType'] === 'string' ? json['inputType'] : 'text';
    if (!MIN_MAX_INPUTS.has(inputType)) {
      errors.push({
        place: `${place}.inputType`,
        message: `min and max are supported for number and date inputs only`,
      });
    }
  }
  if (json['storeOthersAsComment'] === false) {
    errors.push({
      place: `${place}.storeOthersAsComment`,
      message: 'other texts are stored as `<name>-Comment`; storeOthersAsComment: false is not supported',
    });
  }
  if (CHOICE_TYPES.has(type)) checkChoices(json, place, errors);
  if (type === 'rating' && json['rateValues'] !== undefined) {
    checkItems(json['rateValues'], `${place}.rateValues`, errors, { what: 'rate values', required: true });
  }
  if (type === 'matrix') {
    checkItems(json['rows'], `${place}.rows`, errors, { what: 'rows', required: true });
    checkItems(json['columns'], `${place}.columns`, errors, { what: 'columns', required: true });
  }
  if (type === 'matrixdropdown') checkMatrixDropdown(json, place, errors);
  if (type === 'multipletext') {
    checkItems(json['items'], `${place}.items`, errors, {
      what: 'items',
      required: true,
      keyOf: (item) => item['name'],
    });
  }
}

/** A page must be an object with a non-empty list of elements. */
export function checkPage(json: unknown, place: string, errors: DefinitionError[]): void {
  const at = place === '' ? 'elements' : `${place}.elements`;
  if (!isRecord(json)) errors.push({ place, message: 'a page must be an object' });
  else if (!Array.isArray(json['elements']) || json['elements'].length === 0) {
    errors.push({ place: at, message: 'a page needs a non-empty list of elements' });
  }
}

/**
 * Checks one element (question or panel) at its place; returns its name when it has a usable
 * one, for the duplicate check.
 */
export function checkElement(visit: ElementVisit, errors: DefinitionError[]): string | null {
  const { json, place } = visit;
  if (!isRecord(json)) {
    errors.push({ place, message: 'an element must be an object' });
    return null;
  }
  const type = typeof json['type'] === 'string' ? json['type'].toLowerCase() : '';
  if (!type) {
    errors.push({ place: `${place}.type`, message: 'an element needs a type' });
    return null;
  }
  if (!isElementClass(type)) {
    errors.push({ place: `${place}.type`, message: `unknown element type "${json['type']}"` });
    return null;
  }
  if (!SUPPORTED_TYPES.has(type)) {
    errors.push({ place: `${place}.type`, message: `element type "${type}" is not supported by enquete` });
    return null;
  }
  const name = json['name'];
  if (type === 'panel') {
    if (!Array.isArray(json['elements']) || json['elements'].length === 0) {
      errors.push({ place: `${place}.elements`, message: 'a panel needs a non-empty list of elements' });
    }
    for (const key of ['isRequired', 'requiredIf']) {
      if (json[key] !== undefined) {
        errors.push({
          place: `${place}.${key}`,
          message: `${key} on a panel is not supported; set it on its questions`,
        });
      }
    }
    if (name === undefined) return null;
  }
  if (typeof name !== 'string' || name === '') {
    errors.push({ place: `${place}.name`, message: 'an element needs a name' });
    return null;
  }
  const problem = badName(name);
  if (problem) {
    errors.push({ place: `${place}.name`, message: problem });
    return null;
  }
  if (type !== 'panel') checkQuestion(json, type, place, errors);
  return name;
}
