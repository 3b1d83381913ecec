/** One cell of a quota as the API and the console show it, with its live count. */
export interface QuotaCell {
  id: string;
  label: string;
  /** Segment expression on member attributes (docs/panel.md), e.g. `gender = 'F' and age >= 40`. */
  memberCondition: string | null;
  /** SurveyJS expression on the answers, e.g. `{gender} = 'F' and {age} >= 40`. */
  answerCondition: string | null;
  limit: number;
  /** Completes this cell has taken. */
  count: number;
  /** `count >= limit`: completions falling in it end `quota_full`. */
  full: boolean;
}

export interface Quota {
  id: string;
  name: string;
  cells: QuotaCell[];
}

/** A cell to create. Without either condition it takes every completion of the survey. */
export interface QuotaCellInput {
  label: string;
  memberCondition?: string | null;
  answerCondition?: string | null;
  /** Whole number >= 0. */
  limit: number;
}

/** A quota to create: the body of `POST /api/v1/surveys/:id/quotas` and of `enquete quota add --file`. */
export interface QuotaInput {
  name: string;
  cells: QuotaCellInput[];
}

/**
 * A survey's quotas. A completion falls in every cell whose conditions all match it (across all
 * the survey's quotas) and takes one slot of each, in its own transaction, or, if any of them is
 * full, none: the completion ends `quota_full`. Conditions are fixed once written; only limits
 * change, and a quota can be deleted only while none of its cells has a complete.
 */
export interface QuotaService {
  /** The survey's quotas, oldest first, with live counts. Throws SURVEY_NOT_FOUND. */
  list(surveyId: string): Promise<Quota[]>;
  /**
   * Checks and stores a quota (the input is checked at run time too: files and bodies come in
   * unchecked). Throws SURVEY_NOT_FOUND, QUOTA_INVALID naming the field (`cells[1].memberCondition`).
   */
  create(surveyId: string, input: QuotaInput, actor: string): Promise<Quota>;
  /** Throws QUOTA_CELL_NOT_FOUND, QUOTA_INVALID. */
  setLimit(quotaId: string, cellId: string, limit: number): Promise<QuotaCell>;
  /** Throws QUOTA_NOT_FOUND, QUOTA_IN_USE (some cell has completes). */
  remove(quotaId: string): Promise<void>;
}
