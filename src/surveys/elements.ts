/** A JSON object as read from a survey source. */
export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A page or a panel: something that holds elements and may be hidden by `visibleIf`. */
export interface ContainerNode {
  kind: 'page' | 'panel';
  name: string | null;
  place: string;
  json: Json;
  parent: ContainerNode | null;
  page: number;
}

/** A question (any element that is not a panel), with where it sits. */
export interface QuestionNode {
  name: string;
  type: string;
  place: string;
  json: Json;
  parent: ContainerNode;
  page: number;
}

/** Any element met on the walk, in document order, for the structural checks. */
export interface ElementVisit {
  place: string;
  json: unknown;
  parent: ContainerNode;
  page: number;
}

export interface SurveyTree {
  pages: ContainerNode[];
  panels: ContainerNode[];
  /** Questions in document order (depth first), the order SurveyJS's `getAllQuestions()` uses. */
  questions: QuestionNode[];
  /** Every element visited, questions and panels alike, in document order. */
  visits: ElementVisit[];
}

/**
 * The pages of a survey: `pages`, or a top-level `elements` array standing for one page, as
 * SurveyJS reads it.
 */
export function surveyPages(surveyjs: Json): { json: unknown; place: string }[] {
  if (Array.isArray(surveyjs['pages'])) {
    return surveyjs['pages'].map((json, i) => ({ json, place: `pages[${i}]` }));
  }
  if (Array.isArray(surveyjs['elements'])) return [{ json: { elements: surveyjs['elements'] }, place: '' }];
  return [];
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

/**
 * Walks pages and nested panels in document order. Tolerant: elements that are not objects are
 * visited but not descended into, so the checker can report them.
 *
 * @example
 * const tree = walkSurvey({ pages: [{ elements: [{ type: 'text', name: 'age' }] }] });
 * tree.questions[0]?.place; // 'pages[0].elements[0]'
 */
export function walkSurvey(surveyjs: Json): SurveyTree {
  const tree: SurveyTree = { pages: [], panels: [], questions: [], visits: [] };
  const walkElements = (container: ContainerNode, elements: unknown, base: string): void => {
    if (!Array.isArray(elements)) return;
    elements.forEach((json, i) => {
      const place = `${join(base, 'elements')}[${i}]`;
      tree.visits.push({ place, json, parent: container, page: container.page });
      if (!isRecord(json)) return;
      const type = typeof json['type'] === 'string' ? json['type'].toLowerCase() : '';
      const name = typeof json['name'] === 'string' ? json['name'] : null;
      if (type === 'panel') {
        const panel: ContainerNode = {
          kind: 'panel',
          name,
          place,
          json,
          parent: container,
          page: container.page,
        };
        tree.panels.push(panel);
        walkElements(panel, json['elements'], place);
      } else if (name !== null) {
        tree.questions.push({ name, type, place, json, parent: container, page: container.page });
      }
    });
  };
  surveyPages(surveyjs).forEach(({ json, place }, index) => {
    const pageJson = isRecord(json) ? json : {};
    const page: ContainerNode = {
      kind: 'page',
      name: typeof pageJson['name'] === 'string' ? pageJson['name'] : null,
      place,
      json: pageJson,
      parent: null,
      page: index,
    };
    tree.pages.push(page);
    walkElements(page, pageJson['elements'], place);
  });
  return tree;
}

/** The text of a SurveyJS localizable string: a string, or `{default|<locale>: text}`. */
export function localizedText(value: unknown, locale = ''): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (!isRecord(value)) return null;
  for (const key of [locale, 'default', 'en']) {
    const text = key ? value[key] : undefined;
    if (typeof text === 'string') return text;
  }
  const first = Object.values(value).find((v) => typeof v === 'string');
  return typeof first === 'string' ? first : null;
}
