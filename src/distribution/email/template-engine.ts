import { Liquid, type Template } from 'liquidjs';
import { emailErrors } from './errors.ts';

/** Bounds that keep one template from eating the process (LiquidJS's DoS options). */
export const templateLimits = {
  /** Characters of one template part. */
  parseLimit: 100_000,
  /** Milliseconds of one render. */
  renderLimit: 500,
  /** Objects and characters allocated by one render (loops, joins, appends). */
  memoryLimit: 5_000_000,
  /** Tags and outputs rendered by one render. */
  templateLimit: 50_000,
} as const;

/**
 * LiquidJS set up for messages: strict variables and filters (a typo is an error, not an empty
 * string), no file system and no partials (`include`, `render`, `layout` are not tags here), own
 * properties only, dates in `timeZone`, and in `html` mode every output HTML-escaped with the
 * `raw` filter gone, so a member's name can never become markup.
 */
function createEngine(timeZone: string, html: boolean): Liquid {
  const engine = new Liquid({
    strictVariables: true,
    strictFilters: true,
    // `{% if member.attributes.x %}` and `| default:` may test an attribute a member lacks.
    lenientIf: true,
    ownPropertyOnly: true,
    // An in-memory map of no templates: lookups never reach the disk.
    templates: {},
    relativeReference: false,
    timezoneOffset: timeZone,
    locale: 'en-US',
    dateFormat: '%Y-%m-%d %H:%M %Z',
    parseLimit: templateLimits.parseLimit,
    renderLimit: templateLimits.renderLimit,
    memoryLimit: templateLimits.memoryLimit,
    ...(html ? { outputEscape: 'escape' as const } : {}),
  });
  for (const tag of ['include', 'render', 'layout']) delete engine.tags[tag];
  if (html) engine.unregisterFilter('raw');
  memoiseDateFilter(engine);
  return engine;
}

/**
 * LiquidJS's `date` builds its time-zone formatters on every call (about 0.2 ms); a wave formats
 * the same deadline for every member, so the answers are kept per (value, format, zone).
 */
function memoiseDateFilter(engine: Liquid): void {
  const original = engine.filters['date'];
  if (typeof original !== 'function') return;
  const answers = new Map<string, unknown>();
  engine.registerFilter('date', function (this: unknown, value: unknown, ...args: unknown[]) {
    const plain = (typeof value === 'string' || typeof value === 'number') && args.every(isScalar);
    if (!plain) return original.call(this as never, value, ...args);
    const key = JSON.stringify([value, ...args]);
    if (answers.has(key)) return answers.get(key);
    const answer = original.call(this as never, value, ...args);
    if (answers.size >= 1_000) answers.delete(answers.keys().next().value!);
    answers.set(key, answer);
    return answer;
  });
}

function isScalar(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string' || typeof value === 'number';
}

const maxParsed = 200;

/**
 * The engines per (time zone, mode) and the parsed templates per engine. A wave renders the same
 * template for every member, so parsing once per wave instead of once per message matters. Both
 * maps only memoise pure work from identical inputs; the parsed map is bounded (oldest out).
 */
export class TemplateEngines {
  readonly #engines = new Map<string, Liquid>();
  readonly #parsed = new Map<string, Template[]>();

  engine(timeZone: string, html: boolean): Liquid {
    const key = `${html ? 'html' : 'text'} ${timeZone}`;
    let engine = this.#engines.get(key);
    if (!engine) {
      assertTimeZone(timeZone);
      engine = createEngine(timeZone, html);
      this.#engines.set(key, engine);
    }
    return engine;
  }

  /** Parses (or finds parsed) `source`; throws LiquidJS's error, which the caller places. */
  parse(source: string, timeZone: string, html: boolean): Template[] {
    const key = `${html ? 'h' : 't'}${timeZone}\u0000${source}`;
    const hit = this.#parsed.get(key);
    if (hit) return hit;
    const parsed = this.engine(timeZone, html).parse(source);
    if (this.#parsed.size >= maxParsed) this.#parsed.delete(this.#parsed.keys().next().value!);
    this.#parsed.set(key, parsed);
    return parsed;
  }

  render(source: string, scope: object, timeZone: string, html: boolean): string {
    const parsed = this.parse(source, timeZone, html);
    return String(
      this.engine(timeZone, html).renderSync(parsed, scope, {
        renderLimit: templateLimits.renderLimit,
        memoryLimit: templateLimits.memoryLimit,
        templateLimit: templateLimits.templateLimit,
      }),
    );
  }
}

function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw emailErrors.timeZoneInvalid(timeZone);
  }
}

/** LiquidJS's own wording without the `, line:2, col:4` it appends (we say where ourselves). */
export function liquidMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, line:\d+, col:\d+$/, '');
}

/** The 1-based line and column a LiquidJS error points at, or line 1 column 1 when it has none. */
export function liquidPosition(error: unknown): { line: number; column: number } {
  const token = (error as { token?: { getPosition?: () => number[] } } | null)?.token;
  const position = token?.getPosition?.();
  if (position && position.length >= 2) return { line: position[0]!, column: position[1]! };
  return { line: 1, column: 1 };
}
