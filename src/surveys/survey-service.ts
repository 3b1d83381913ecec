import type { Selectable, Transaction } from 'kysely';
import type { Database, Db, SurveysTable, SurveyVersionsTable } from '../db/index.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import {
  type CheckResult,
  checkDefinition,
  checkObject,
  documentToObject,
  splitStored,
} from './check-definition.ts';
import { compileSurvey } from './compile.ts';
import { isRecord, type Json, walkSurvey } from './elements.ts';
import { surveyErrors } from './errors.ts';
import type {
  Actor,
  Codebook,
  CompiledSurvey,
  DefinitionError,
  SourceFormat,
  SurveyDetail,
  SurveyService,
  SurveySummary,
  SurveyVersionInfo,
} from './types.ts';

type SurveyRow = Selectable<SurveysTable>;
type VersionRow = Selectable<SurveyVersionsTable>;
type Checked = Extract<CheckResult, { ok: true }>;

const COMPILED_CACHE_SIZE = 500;

function summaryOf(row: SurveyRow): SurveySummary {
  return {
    id: row.id,
    title: row.title,
    client: row.client,
    timezone: row.timezone,
    currentVersion: row.current_version,
    openLink: row.open_link === 1,
    closed: row.closed === 1,
    createdAt: row.created_at,
    draftUpdatedAt: row.draft_updated_at,
  };
}

function versionInfo(row: Pick<VersionRow, 'version' | 'published_at' | 'published_by'>): SurveyVersionInfo {
  return { version: row.version, publishedAt: row.published_at, publishedBy: row.published_by };
}

function parseStored(text: string): Json {
  const value = JSON.parse(text) as unknown;
  return isRecord(value) ? value : {};
}

/** The stored text of a source: the checked document as pretty JSON (the draft and every version). */
function storedText(
  source: string,
  format: SourceFormat | undefined,
  filename?: string,
): { text: string; checked: Checked } {
  const checked = checkDefinition(source, format, filename);
  if (!checked.ok) throw surveyErrors.definitionInvalid(checked.errors);
  return { text: JSON.stringify(documentToObject(checked.document), null, 2), checked };
}

/** Questions of the previous version that the new definition no longer has, with their old place. */
export function removedQuestions(previous: Json, next: Json, version: number): DefinitionError[] {
  const kept = new Set(walkSurvey(next).questions.map((q) => q.name));
  return walkSurvey(previous)
    .questions.filter((q) => !kept.has(q.name))
    .map((q) => ({
      place: q.place,
      message: `question "${q.name}" of published version ${version} (at ${q.place}) was removed; published questions must be kept so answers stay comparable`,
    }));
}

/**
 * The surveys module backed by the `surveys` and `survey_versions` tables (both dialects).
 *
 * @example
 * const surveys = createSurveyService({ db, clock: systemClock, ids: cryptoIds });
 * const survey = await surveys.importSurvey({ source, actor: 'cli', publish: true });
 * const compiled = await surveys.compiled(survey.id);
 */
export function createSurveyService(deps: { db: Db; clock: Clock; ids: Ids }): SurveyService {
  const { db, clock, ids } = deps;
  const k = db.kysely;
  const cache = new Map<string, CompiledSurvey>();
  const listeners: ((surveyId: string) => void)[] = [];
  const changed = (id: string) => {
    for (const listener of listeners) listener(id);
  };

  async function row(id: string): Promise<SurveyRow> {
    const found = await k.selectFrom('surveys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!found) throw surveyErrors.notFound(id);
    return found;
  }

  async function detail(id: string): Promise<SurveyDetail> {
    const survey = await row(id);
    const versions = await k
      .selectFrom('survey_versions')
      .select(['version', 'published_at', 'published_by', 'definition'])
      .where('survey_id', '=', id)
      .orderBy('version')
      .execute();
    const latest = versions[versions.length - 1];
    return {
      ...summaryOf(survey),
      draftSource: survey.draft,
      draftChanged: latest === undefined || latest.definition !== survey.draft,
      versions: versions.map(versionInfo),
    };
  }

  async function assertKeepsQuestions(id: string, draft: string): Promise<void> {
    const latest = await k
      .selectFrom('survey_versions')
      .select(['version', 'definition'])
      .where('survey_id', '=', id)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    if (!latest) return;
    const errors = removedQuestions(parseStored(latest.definition), parseStored(draft), latest.version);
    if (errors.length > 0) throw surveyErrors.definitionInvalid(errors);
  }

  /** Freezes the draft as the next version inside `trx`; `codebook` when the caller has just derived it. */
  async function publishIn(
    trx: Transaction<Database>,
    id: string,
    actor: Actor,
    codebook?: Codebook,
  ): Promise<SurveyVersionInfo> {
    let query = trx.selectFrom('surveys').selectAll().where('id', '=', id);
    if (db.dialect === 'postgres') query = query.forUpdate();
    const survey = await query.executeTakeFirst();
    if (!survey) throw surveyErrors.notFound(id);
    const latest = await trx
      .selectFrom('survey_versions')
      .selectAll()
      .where('survey_id', '=', id)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    if (latest && latest.definition === survey.draft) return versionInfo(latest);
    if (latest) {
      const errors = removedQuestions(
        parseStored(latest.definition),
        parseStored(survey.draft),
        latest.version,
      );
      if (errors.length > 0) throw surveyErrors.definitionInvalid(errors);
    }
    let derived = codebook;
    if (!derived) {
      const checked = checkObject(parseStored(survey.draft));
      if (!checked.ok) throw surveyErrors.definitionInvalid(checked.errors);
      derived = checked.codebook;
    }
    const version = (latest?.version ?? 0) + 1;
    const publishedAt = isoNow(clock);
    await trx
      .insertInto('survey_versions')
      .values({
        survey_id: id,
        version,
        definition: survey.draft,
        codebook: JSON.stringify(derived),
        published_at: publishedAt,
        published_by: actor,
      })
      .execute();
    await trx.updateTable('surveys').set({ current_version: version }).where('id', '=', id).execute();
    return { version, publishedAt, publishedBy: actor };
  }

  async function publish(id: string, actor: Actor): Promise<SurveyVersionInfo> {
    const published = await k.transaction().execute((trx) => publishIn(trx, id, actor));
    changed(id);
    return published;
  }

  async function getVersion(id: string, version: number) {
    const found = await k
      .selectFrom('survey_versions')
      .selectAll()
      .where('survey_id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!found) {
      await row(id);
      throw surveyErrors.versionNotFound(id, version);
    }
    return {
      ...versionInfo(found),
      document: splitStored(parseStored(found.definition)),
      codebook: JSON.parse(found.codebook) as Codebook,
    };
  }

  return {
    async importSurvey(input) {
      const { text, checked } = storedText(input.source, input.format, input.filename);
      const id = ids.id('sv');
      const now = isoNow(clock);
      // One transaction: an import with publish leaves either the published survey or nothing.
      await k.transaction().execute(async (trx) => {
        await trx
          .insertInto('surveys')
          .values({
            id,
            title: checked.title,
            client: input.client ?? null,
            timezone: checked.document.timezone,
            draft: text,
            draft_updated_at: now,
            current_version: null,
            open_link: 0,
            closed: 0,
            created_at: now,
            created_by: input.actor,
          })
          .execute();
        if (input.publish) await publishIn(trx, id, input.actor, checked.codebook);
      });
      changed(id);
      return detail(id);
    },

    async updateDraft(id, input) {
      const { text, checked } = storedText(input.source, input.format);
      await row(id);
      await assertKeepsQuestions(id, text);
      await k
        .updateTable('surveys')
        .set({
          draft: text,
          title: checked.title,
          timezone: checked.document.timezone,
          draft_updated_at: isoNow(clock),
        })
        .where('id', '=', id)
        .execute();
      changed(id);
      return detail(id);
    },

    publish,

    onChange(listener) {
      listeners.push(listener);
    },

    async updateSettings(id, input) {
      await row(id);
      const changes: Partial<SurveysTable> = {};
      if (input.openLink !== undefined) changes.open_link = input.openLink ? 1 : 0;
      if (input.closed !== undefined) changes.closed = input.closed ? 1 : 0;
      if (input.client !== undefined) changes.client = input.client;
      if (Object.keys(changes).length > 0) {
        await k.updateTable('surveys').set(changes).where('id', '=', id).execute();
        changed(id);
      }
      return detail(id);
    },

    async list(filter = {}) {
      let query = k.selectFrom('surveys').selectAll().orderBy('created_at', 'desc').orderBy('id');
      if (filter.client !== undefined) {
        query =
          filter.client === null
            ? query.where('client', 'is', null)
            : query.where('client', '=', filter.client);
      }
      return (await query.execute()).map(summaryOf);
    },

    get: detail,
    getVersion,

    async compiled(id, version) {
      let wanted = version;
      if (wanted === undefined) {
        const survey = await row(id);
        if (survey.current_version === null) throw surveyErrors.notPublished(id);
        wanted = survey.current_version;
      }
      const key = `${id}@${wanted}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const stored = await getVersion(id, wanted);
      const compiled = compileSurvey({
        surveyId: id,
        version: wanted,
        document: stored.document,
        codebook: stored.codebook,
      });
      if (cache.size >= COMPILED_CACHE_SIZE) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(key, compiled);
      return compiled;
    },

    check(source, format) {
      const result = checkDefinition(source, format);
      return result.ok ? { ok: true, document: result.document, codebook: result.codebook } : result;
    },
  };
}
