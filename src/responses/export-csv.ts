import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../db/index.ts';
import type { InvitationGate } from '../distribution/index.ts';
import type { ExportColumn, SurveyService } from '../surveys/index.ts';
import { csvRecord, utf8Bom } from './csv.ts';
import { exportCell } from './export-cell.ts';
import { type PageCursor, type ResponseRow, responsePage, versionsInUse } from './queries.ts';
import type { CsvExportInput, ResponseStatus } from './types.ts';

/** Rows read from the database per page: the export never holds more than this in memory. */
const pageSize = 500;

/** The outcomes a response ends with; the default export holds these. */
const finishedStatuses = ['completed', 'screened_out', 'quota_full'] as const;

/**
 * The columns every export starts with, before the codebook's answer columns. New ones go where
 * they belong and the old ones keep their order (readers find columns by name).
 */
export const fixedColumns = [
  'response_id',
  'external_ref',
  'member_external_id',
  'status',
  'started_at',
  'completed_at',
  'version',
] as const;

/**
 * CSV export of a survey's responses (see docs/exports.md): UTF-8 with a BOM, RFC 4180, one row
 * per finished response (completed, screened_out, quota_full; unfinished ones too when asked) in
 * the order they were started, the fixed columns then the codebook's export columns. An
 * invitation's response names its member by the panel's external id, read page by page through
 * the distribution hub's gate. Columns come
 * from the current version, followed by any that only older versions (with responses) had. An
 * answer column whose name equals a fixed column (ignoring case) gets `_q` appended.
 *
 * @example
 * const { exportCsv } = createCsvExporter({ db, surveys, invitations: distribution.gate });
 * await exportCsv({ surveyId, labels: true }, createWriteStream('out.csv'));
 */
export function createCsvExporter(deps: {
  db: Db;
  surveys: SurveyService;
  invitations: Pick<InvitationGate, 'memberExternalIds'>;
}) {
  async function open(input: CsvExportInput): Promise<{ stream: Readable; rows: () => number }> {
    const columns = await exportColumns(deps, input.surveyId);
    const statuses: ResponseStatus[] = input.includeInProgress
      ? ['in_progress', ...finishedStatuses]
      : [...finishedStatuses];
    const labels = input.labels ?? false;
    const header = csvRecord([...fixedColumns, ...columns.map((c) => c.name)]);
    let written = 0;

    async function* chunks(): AsyncGenerator<string> {
      yield utf8Bom + header;
      let after: PageCursor | null = null;
      for (;;) {
        const rows: ResponseRow[] = await responsePage(deps.db.kysely, {
          surveyId: input.surveyId,
          statuses,
          after,
          limit: pageSize,
        });
        if (rows.length === 0) return;
        const members = await deps.invitations.memberExternalIds(
          deps.db.kysely,
          rows.map((r) => r.token),
        );
        let text = '';
        for (const row of rows) {
          text += csvRecord(recordOf(row, members.get(row.token) ?? '', columns, labels));
        }
        written += rows.length;
        yield text;
        const last = rows[rows.length - 1]!;
        after = { startedAt: last.started_at, id: last.id };
      }
    }
    return { stream: Readable.from(chunks(), { objectMode: false }), rows: () => written };
  }

  return {
    async exportCsvStream(input: CsvExportInput): Promise<Readable> {
      return (await open(input)).stream;
    },
    async exportCsv(input: CsvExportInput, out: Writable): Promise<{ rows: number }> {
      const { stream, rows } = await open(input);
      await pipeline(stream, out);
      return { rows: rows() };
    },
  };
}

function recordOf(row: ResponseRow, member: string, columns: ExportColumn[], labels: boolean): string[] {
  const data = JSON.parse(row.data) as Record<string, unknown>;
  const fields = [
    row.id,
    row.external_ref ?? '',
    member,
    row.status,
    row.started_at,
    row.completed_at ?? '',
    String(row.version),
  ];
  for (const column of columns) fields.push(exportCell(column, data, labels));
  return fields;
}

async function exportColumns(
  deps: { db: Db; surveys: SurveyService },
  surveyId: string,
): Promise<ExportColumn[]> {
  const survey = await deps.surveys.get(surveyId);
  const versions = new Set(await versionsInUse(deps.db.kysely, surveyId));
  if (survey.currentVersion !== null) versions.add(survey.currentVersion);
  // Case-insensitively, as DuckDB and SPSS compare names.
  const taken = new Set<string>(fixedColumns);
  const seen = new Set<string>();
  const out: ExportColumn[] = [];
  for (const version of [...versions].sort((a, b) => b - a)) {
    const { codebook } = await deps.surveys.getVersion(surveyId, version);
    for (const column of codebook.columns) {
      if (seen.has(column.name)) continue;
      seen.add(column.name);
      let name = column.name;
      while (taken.has(name.toLowerCase())) name += '_q';
      taken.add(name.toLowerCase());
      out.push(name === column.name ? column : { ...column, name });
    }
  }
  return out;
}
