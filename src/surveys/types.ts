/**
 * The shapes other modules rely on. A survey document is SurveyJS JSON (pages/elements, logic in
 * SurveyJS expression syntax) plus a few enquete keys, which are removed before SurveyJS sees it.
 */
export interface SurveyDocument {
  /** SurveyJS JSON, without the enquete keys. */
  surveyjs: Record<string, unknown>;
  /** Conditions that end the survey with status `screened_out`, evaluated in order. */
  screenOut: ScreenOutRule[];
  /** IANA time zone for display and "the date" of a run. */
  timezone: string;
  /** Estimated minutes to answer, shown in the portal. */
  estimatedMinutes: number | null;
}

export interface ScreenOutRule {
  /** SurveyJS expression, e.g. `{age} < 18`. */
  expression: string;
  /** End page shown to the screened-out respondent (HTML, rendered by SurveyJS). */
  html: string;
}

export type Code = string | number;

export interface CodebookChoice {
  value: Code;
  label: string;
}

/** One question of a published version, as exports, the warehouse and analytics read it. */
export interface CodebookQuestion {
  name: string;
  /** SurveyJS type: text, comment, radiogroup, dropdown, checkbox, tagbox, boolean, rating, ranking, matrix, matrixdropdown, multipletext, … */
  type: string;
  title: string;
  /** 0-based index of the page it sits on. */
  page: number;
  /** text questions: SurveyJS inputType (number, date, email, …). */
  inputType?: string;
  choices?: CodebookChoice[];
  /** matrix: rows (each a sub-question) and columns (the scale). */
  rows?: CodebookChoice[];
  columns?: CodebookChoice[];
  /** multipletext items. */
  items?: CodebookChoice[];
  /** matrixdropdown columns and multipletext items, with the kind of value each holds. */
  cells?: CodebookCell[];
  min?: number;
  max?: number;
  hasOther?: boolean;
  hasNone?: boolean;
  /** The export columns this question becomes, in order (see docs/exports.md for the naming). */
  columnsOut: ExportColumn[];
}

/** One column of a matrixdropdown or one item of a multipletext question. */
export interface CodebookCell {
  name: string;
  label: string;
  /** SurveyJS type of the cell: dropdown, radiogroup, checkbox, tagbox, text, comment, boolean, rating. */
  type: string;
  inputType?: string;
  choices?: CodebookChoice[];
  hasOther?: boolean;
  hasNone?: boolean;
}

export interface ExportColumn {
  /** Column name, unique across the survey. */
  name: string;
  /** Human label (question title, or title + row/choice label). */
  label: string;
  /** How the column's value is read from the answers object. */
  source:
    | { kind: 'value'; question: string } // the answer itself (scalars; arrays joined with ';')
    | { kind: 'choice'; question: string; value: Code } // 1 if the choice is selected, else 0
    | { kind: 'key'; question: string; key: string } // answer[key] (matrix row, multipletext item)
    | { kind: 'other'; question: string } // the free text of an "other" choice (`<name>-Comment`)
    | { kind: 'cell'; question: string; row: string; column: string } // answer[row][column] (matrixdropdown)
    | { kind: 'rank'; question: string; value: Code }; // 1-based position of the choice in a ranking
  /** Value labels for this column, when its values are codes. */
  valueLabels?: CodebookChoice[];
  measure: 'nominal' | 'ordinal' | 'scale';
  /** numeric when every value is a number (codes or numbers), else string. */
  valueType: 'numeric' | 'string';
}

export interface Codebook {
  questions: CodebookQuestion[];
  columns: ExportColumn[];
}

export interface ValidationIssue {
  /** Question name ('' for the whole response). */
  question: string;
  code:
    | 'REQUIRED'
    | 'NOT_A_CHOICE'
    | 'OUT_OF_RANGE'
    | 'NOT_A_NUMBER'
    | 'WRONG_TYPE'
    | 'UNKNOWN_QUESTION'
    | 'INVALID_FORMAT'
    | 'TOO_MANY'
    | 'TOO_FEW';
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  /** The answers kept: values of hidden questions, unknown keys and empty values removed. */
  data: Record<string, unknown>;
  issues: ValidationIssue[];
  /** Set when a screen-out rule matched: the survey ends with `screened_out`. */
  screenedOut: { rule: number; html: string } | null;
}

/** A published version compiled once: answers are validated without building a SurveyJS Model. */
export interface CompiledSurvey {
  surveyId: string;
  version: number;
  document: SurveyDocument;
  codebook: Codebook;
  /**
   * `complete`: full check (required answers present, values valid). `partial`: values valid,
   * required not enforced (page saves). Screen-out rules are evaluated in both modes.
   */
  validate(data: Record<string, unknown>, mode: 'complete' | 'partial'): ValidationResult;
}

export type SourceFormat = 'json' | 'yaml';

export interface SurveySummary {
  id: string;
  title: string;
  client: string | null;
  timezone: string;
  currentVersion: number | null;
  openLink: boolean;
  closed: boolean;
  createdAt: string;
  draftUpdatedAt: string;
}

export interface SurveyVersionInfo {
  version: number;
  publishedAt: string;
  publishedBy: string | null;
}

export interface SurveyDetail extends SurveySummary {
  /** The draft document as stored (SurveyJS JSON + enquete keys), pretty JSON text. */
  draftSource: string;
  /** True when the draft differs from the latest published version. */
  draftChanged: boolean;
  versions: SurveyVersionInfo[];
}

/** Who does it, for `created_by` / `published_by` and the audit trail (`user:…`, `apikey:…`, `cli`). */
export type Actor = string;

/**
 * The surveys module's door for other modules, http/ and cli/.
 * Client scoping is the caller's job: pass `client` filters from the principal.
 */
export interface SurveyService {
  /** Parses, validates and stores a new survey as a draft. `publish: true` publishes version 1 at once. */
  importSurvey(input: {
    source: string;
    format?: SourceFormat;
    filename?: string;
    client?: string | null;
    publish?: boolean;
    actor: Actor;
  }): Promise<SurveyDetail>;
  /** Replaces the draft; the published versions stay as they are. */
  updateDraft(
    id: string,
    input: { source: string; format?: SourceFormat; actor: Actor },
  ): Promise<SurveyDetail>;
  /** Freezes the draft as the next version. Publishing an unchanged draft returns the current version. */
  publish(id: string, actor: Actor): Promise<SurveyVersionInfo>;
  /**
   * Calls `listener` after each committed write of a survey's title, published version or
   * settings (e.g. closed), so that caches of other modules in this process (the portal's) refresh.
   */
  onChange(listener: (surveyId: string) => void): void;
  /** Settings that are not part of the definition. */
  updateSettings(
    id: string,
    input: { openLink?: boolean; closed?: boolean; client?: string | null; actor: Actor },
  ): Promise<SurveyDetail>;
  list(filter?: { client?: string | null }): Promise<SurveySummary[]>;
  /** Throws SURVEY_NOT_FOUND. */
  get(id: string): Promise<SurveyDetail>;
  /** Throws SURVEY_VERSION_NOT_FOUND. */
  getVersion(
    id: string,
    version: number,
  ): Promise<{ document: SurveyDocument; codebook: Codebook } & SurveyVersionInfo>;
  /** The published version compiled once and cached; throws SURVEY_NOT_PUBLISHED when there is none. */
  compiled(id: string, version?: number): Promise<CompiledSurvey>;
  /** Checks a source without storing it (the editor's live preview). */
  check(
    source: string,
    format?: SourceFormat,
  ): { ok: true; document: SurveyDocument; codebook: Codebook } | { ok: false; errors: DefinitionError[] };
}

/** A problem in a survey definition, with its place (`pages[1].elements[3].name`, or line:column for syntax). */
export interface DefinitionError {
  place: string;
  message: string;
}
