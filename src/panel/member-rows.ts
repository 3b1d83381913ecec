import type { HeaderPlan } from './header.ts';
import type { AttributeType, RejectedRow } from './types.ts';
import { maxValueLength, splitList, TypeInference, valueProblem } from './values.ts';

/** A record that passed every check, ready to be written. */
export interface MemberRow {
  line: number;
  externalId: string;
  /** Undefined when the file has no such column (the stored value stays). */
  email: string | null | undefined;
  name: string | null | undefined;
  /** One per attribute column of the plan, in its order; null for an empty cell. */
  values: (string | null)[];
}

const maxExternalIdLength = 200;
const maxNameLength = 500;
const emailPattern = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

/**
 * Checks records one by one against the header and the attribute types: rejects a wrong column
 * count, a missing or repeated key, a bad e-mail and values that do not fit a known type, and
 * infers the types of the columns that have none yet from the records it accepts.
 *
 * @example
 * const checker = new RowChecker(plan, new Map([['age', 'number']]));
 * checker.check(2, ['m1', 'a@example.org', '41']); // → { line: 2, externalId: 'm1', … }
 */
export class RowChecker {
  readonly #plan: HeaderPlan;
  /** Types the values must fit: stored before this import, or declared in the header. */
  readonly #fixed: (AttributeType | undefined)[];
  readonly #inference: (TypeInference | null)[];
  readonly #firstLine = new Map<string, number>();

  constructor(plan: HeaderPlan, known: ReadonlyMap<string, AttributeType>) {
    this.#plan = plan;
    this.#fixed = plan.attributes.map((a) => known.get(a.key) ?? a.declared ?? undefined);
    this.#inference = this.#fixed.map((type) => (type === undefined ? new TypeInference() : null));
  }

  check(line: number, fields: string[]): MemberRow | RejectedRow {
    const plan = this.#plan;
    if (fields.length !== plan.width) {
      return {
        line,
        reason: `wrong column count: ${fields.length} fields, the header has ${plan.width}`,
      };
    }
    const externalId = plan.keyIndex === null ? String(line) : fields[plan.keyIndex]!.trim();
    if (externalId === '') return { line, reason: `missing key: ${plan.keyName} is empty` };
    if (externalId.length > maxExternalIdLength) {
      return { line, reason: `key longer than ${maxExternalIdLength} characters` };
    }
    const first = this.#firstLine.get(externalId);
    if (first !== undefined) {
      return { line, reason: `duplicate key ${JSON.stringify(externalId)} (first on line ${first})` };
    }
    this.#firstLine.set(externalId, line);

    const email = plan.emailIndex === null ? undefined : fields[plan.emailIndex]!.trim() || null;
    if (email && (email.length > 254 || !emailPattern.test(email))) {
      return { line, reason: `bad email ${JSON.stringify(email)}` };
    }
    const name = plan.nameIndex === null ? undefined : fields[plan.nameIndex]!.trim() || null;
    if (name && name.length > maxNameLength) {
      return { line, reason: `name longer than ${maxNameLength} characters` };
    }

    const values: (string | null)[] = [];
    for (let i = 0; i < plan.attributes.length; i++) {
      const column = plan.attributes[i]!;
      const value = this.#value(fields[column.index]!.trim(), this.#fixed[i]);
      if (typeof value === 'object' && value !== null) {
        return { line, reason: `${column.key}: ${value.problem}` };
      }
      values.push(value);
    }
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value !== null && value !== undefined) this.#inference[i]?.add(value);
    }
    return { line, externalId, email, name, values };
  }

  /** The type of each attribute column after the records seen so far (null: no value yet). */
  types(): (AttributeType | null)[] {
    return this.#fixed.map((type, i) => type ?? this.#inference[i]?.result() ?? null);
  }

  #value(text: string, type: AttributeType | undefined): string | null | { problem: string } {
    if (text === '') return null;
    if (text.length > maxValueLength) return { problem: `value longer than ${maxValueLength} characters` };
    if (type === 'list' || (type === undefined && text.includes('|'))) {
      const elements = splitList(text);
      return elements.length === 0 ? null : elements.join('|');
    }
    if (type === undefined) return text;
    const problem = valueProblem(text, type);
    return problem === null ? text : { problem };
  }
}
