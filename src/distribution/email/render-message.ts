import { EchoTag, type Liquid, Output, type Template, toValueSync } from 'liquidjs';
import type { EnqueteError } from '../../kernel/index.ts';
import { emailErrors, type TemplatePlace } from './errors.ts';
import { htmlToText, textToHtml } from './html-text.ts';
import { liquidMessage, liquidPosition, TemplateEngines } from './template-engine.ts';
import type { MessageTemplate, MessageVars, RenderedMessage, TemplateAttribute } from './types.ts';

// Memoised engines and parsed templates, shared by every caller: they depend only on their inputs.
const engines = new TemplateEngines();

type Part = TemplatePlace['part'];

/** The fields each variable exposes; `member.attributes.*` is open (or checked against a list). */
const knownFields: Record<string, readonly string[] | null> = {
  member: ['name', 'email', 'externalId', 'attributes'],
  survey: ['title', 'minutes', 'timeZone'],
  link: null,
  deadline: null,
  unsubscribe_url: null,
};

function formatOf(template: MessageTemplate): 'text' | 'html' {
  const format = template.format ?? 'text';
  if (format !== 'text' && format !== 'html') {
    throw emailErrors.templateInvalid(
      { part: 'body', line: 1, column: 1 },
      `unknown format ${String(format)}`,
    );
  }
  return format;
}

function toScope(vars: MessageVars): object {
  const { member, survey } = vars;
  return {
    member: {
      name: member.name,
      email: member.email,
      externalId: member.externalId,
      // fromEntries defines keys as own data properties, so even `__proto__` stays a plain key.
      attributes: Object.fromEntries(Object.entries(member.attributes ?? {})),
    },
    survey: { title: survey.title, minutes: survey.minutes, timeZone: survey.timeZone ?? 'UTC' },
    link: vars.link,
    deadline: vars.deadline,
    unsubscribe_url: vars.unsubscribe_url,
  };
}

function placeOf(part: Part, error: unknown): TemplatePlace {
  return { part, ...liquidPosition(error) };
}

function parsePart(part: Part, source: string, timeZone: string, html: boolean) {
  try {
    return engines.parse(source, timeZone, html);
  } catch (error) {
    throw emailErrors.templateInvalid(placeOf(part, error), liquidMessage(error));
  }
}

function renderPart(
  part: Part,
  source: string,
  scope: object,
  timeZone: string,
  html: boolean,
  onError: (place: TemplatePlace, message: string) => EnqueteError,
): string {
  parsePart(part, source, timeZone, html);
  try {
    return engines.render(source, scope, timeZone, html);
  } catch (error) {
    throw onError(placeOf(part, error), liquidMessage(error));
  }
}

function renderWith(
  template: MessageTemplate,
  vars: MessageVars,
  onError: (place: TemplatePlace, message: string) => EnqueteError,
): RenderedMessage {
  const format = formatOf(template);
  const timeZone = vars.survey.timeZone ?? 'UTC';
  engines.engine(timeZone, false); // refuses an unknown time zone before anything renders
  const scope = toScope(vars);
  const subject = renderPart('subject', template.subject, scope, timeZone, false, onError)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
  if (format === 'html') {
    const html = renderPart('body', template.body, scope, timeZone, true, onError);
    return { subject, text: `${htmlToText(html)}\n`, html };
  }
  const text = `${renderPart('body', template.body, scope, timeZone, false, onError).trimEnd()}\n`;
  return { subject, text, html: textToHtml(text) };
}

/**
 * Renders a wave's template for one member. Plain-text templates get an HTML part made from the
 * text (escaped, links clickable); HTML templates get every output escaped and a text part made
 * from the HTML. Dates show in `vars.survey.timeZone`.
 *
 * Throws `EMAIL_TEMPLATE_INVALID` (the template itself is wrong) or `EMAIL_TEMPLATE_RENDER_FAILED`
 * (these values do not fit it, e.g. a missing attribute), both naming part, line and column.
 *
 * @example
 * const { subject, text, html } = renderMessage(defaultTemplate, {
 *   member: { name: 'Aoki Ken', email: 'ken@example.org', externalId: 'M1', attributes: {} },
 *   survey: { title: 'Sleep study', minutes: 10, timeZone: 'Asia/Tokyo' },
 *   link: 'https://enquete.example/r/abc', deadline: '2026-03-31T14:59:00Z',
 *   unsubscribe_url: 'https://enquete.example/u/abc',
 * });
 */
export function renderMessage(template: MessageTemplate, vars: MessageVars): RenderedMessage {
  return renderWith(template, vars, emailErrors.templateRenderFailed);
}

export interface CheckTemplateOptions {
  /** The panel's attribute keys; when given, `member.attributes.<key>` must be one of them. */
  attributes?: readonly string[];
  /**
   * The body must output `{{ unsubscribe_url }}` (e-mail waves: every message links to the
   * unsubscribe page, besides the List-Unsubscribe header).
   */
  requireUnsubscribe?: boolean;
}

/** Names a template node brings into scope from there on (`assign`, `capture`) or for its block (`for`). */
function scopedNames(node: Template): string[] {
  const local = node.localScope ? [...node.localScope()].map((t) => t.content) : [];
  const block = node.blockScope ? [...node.blockScope()] : [];
  return [...local, ...block];
}

/**
 * Whether a parsed template has an output (`{{ … }}` or `{% echo %}`) of the global `name`, at any
 * depth of its blocks. Read from the parse tree, not the text: `{% raw %}`, comments and a local
 * variable of the same name do not count. (Whether a branch ever runs is not decided here.)
 */
function outputsGlobal(engine: Liquid, templates: readonly Template[], name: string): boolean {
  const visit = (nodes: readonly Template[], shadowed: boolean): boolean => {
    for (const node of nodes) {
      const isOutput: boolean = node instanceof Output || node instanceof EchoTag;
      if (!shadowed && isOutput) {
        const { globals } = engine.analyzeSync([node], { partials: false });
        if (Object.hasOwn(globals, name)) return true;
      }
      const names = scopedNames(node);
      if (node.children) {
        const children = toValueSync(node.children(false, true)) as Template[];
        if (visit(children, shadowed || (node.blockScope !== undefined && names.includes(name)))) return true;
      }
      // `{% assign name = … %}` hides the global for the rest of the template.
      if (node.localScope && names.includes(name)) shadowed = true;
    }
    return false;
  };
  return visit(templates, false);
}

function checkUnsubscribe(source: string, html: boolean): void {
  const parsed = parsePart('body', source, 'UTC', html);
  if (!outputsGlobal(engines.engine('UTC', html), parsed, 'unsubscribe_url')) {
    throw emailErrors.templateInvalid(
      { part: 'body', line: 1, column: 1 },
      'the body never outputs {{ unsubscribe_url }}: every message must link to its unsubscribe page',
    );
  }
}

function checkVariables(part: Part, source: string, html: boolean, options: CheckTemplateOptions): string[] {
  const engine = engines.engine('UTC', html);
  const analysis = engine.analyzeSync(parsePart(part, source, 'UTC', html), { partials: false });
  const attributes: string[] = [];
  for (const variables of Object.values(analysis.globals)) {
    for (const variable of variables) {
      const [root, field, key] = variable.toArray();
      const place = { part, line: variable.location.row, column: variable.location.col };
      const fields = typeof root === 'string' ? knownFields[root] : undefined;
      if (fields === undefined || !Object.hasOwn(knownFields, String(root))) {
        throw emailErrors.templateInvalid(place, `unknown variable ${String(variable)}`);
      }
      if (fields && typeof field === 'string' && !fields.includes(field)) {
        throw emailErrors.templateInvalid(place, `unknown variable ${String(variable)}`);
      }
      if (root === 'member' && field === 'attributes' && typeof key === 'string') {
        if (options.attributes && !options.attributes.includes(key)) {
          throw emailErrors.templateInvalid(place, `unknown member attribute ${key}`);
        }
        attributes.push(key);
      }
    }
  }
  return attributes;
}

/**
 * Validates a template when a wave is created: it parses, uses only known variables and filters
 * (and, given the panel's attribute keys, only existing attributes), and renders within the limits
 * for sample values, and (with `requireUnsubscribe`) that the body outputs `{{ unsubscribe_url }}`.
 * Throws `EMAIL_TEMPLATE_INVALID` naming part, line and column.
 *
 * @example
 * checkTemplate({ subject: 'Hi {{ member.nam }}', body: '…' });
 * // EnqueteError EMAIL_TEMPLATE_INVALID: subject line 1, column 4: unknown variable member.nam
 */
export function checkTemplate(template: MessageTemplate, options: CheckTemplateOptions = {}): void {
  const html = formatOf(template) === 'html';
  const used = [
    ...checkVariables('subject', template.subject, false, options),
    ...checkVariables('body', template.body, html, options),
  ];
  if (options.requireUnsubscribe) checkUnsubscribe(template.body, html);
  const attributes: Record<string, TemplateAttribute> = Object.fromEntries(
    [...(options.attributes ?? []), ...used].map((key) => [key, 'sample']),
  );
  renderWith(template, sampleVars(attributes), emailErrors.templateInvalid);
}

function sampleVars(attributes: Record<string, TemplateAttribute>): MessageVars {
  return {
    member: { name: 'Sample Member', email: 'member@example.org', externalId: 'sample', attributes },
    survey: { title: 'Sample survey', minutes: 10, timeZone: 'UTC' },
    link: 'https://enquete.example/r/sample',
    deadline: '2026-01-31T15:00:00.000Z',
    unsubscribe_url: 'https://enquete.example/u/sample',
  };
}
