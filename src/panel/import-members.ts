import type { Db } from '../db/index.ts';
import { type Clock, type Ids, isoNow } from '../kernel/index.ts';
import { readAttributeTypes, writeAttributeTypes } from './attribute-types.ts';
import { readCsvRecords } from './csv-records.ts';
import { panelErrors } from './errors.ts';
import { planHeader } from './header.ts';
import { type MemberRow, RowChecker } from './member-rows.ts';
import { writeBatch } from './member-writes.ts';
import type { AttributeInfo, AttributeType, ImportOptions, ImportResult, ImportSource } from './types.ts';

const defaultBatchSize = 2000;

/**
 * Imports members from a CSV/TSV stream, upserting by the key column, one transaction per batch
 * so memory stays bounded whatever the file's size. Rejected records are listed with their line
 * and reason while the good ones land; importing the same file again changes nothing.
 *
 * @example
 * const result = await importMembers(deps, createReadStream('panel.csv'), { key: 'respondent_id' });
 * // → { inserted: 2800, updated: 0, unchanged: 0, rejected: [], attributes: [{ key: 'age', type: 'number' }, …] }
 */
export async function importMembers(
  deps: { db: Db; clock: Clock; ids: Ids },
  source: ImportSource,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const batchSize = Math.max(1, options.batchSize ?? defaultBatchSize);
  const counter = { bytes: 0 };
  const records = readCsvRecords(source, counter, options.delimiter);
  const first = await records.next();
  if (first.done) throw panelErrors.csvInvalid('the file is empty: expected a header line');
  if ('fatal' in first.value) throw panelErrors.csvInvalid(`header: ${first.value.fatal}`);
  const plan = planHeader(first.value.fields, options.key ?? 'external_id');

  const stored = await readAttributeTypes(deps.db.kysely);
  for (const column of plan.attributes) {
    const type = stored.get(column.key);
    if (column.declared && type && type !== column.declared) {
      throw panelErrors.attributeTypeConflict(column.key, column.declared, type);
    }
  }
  // Values are indexed by the types known when the import starts; columns new to the panel are
  // typed by this import, batch after batch, as inference sees more of the file.
  const known = new Map(stored);
  for (const column of plan.attributes) if (column.declared) known.set(column.key, column.declared);
  const checker = new RowChecker(plan, stored);
  const written = new Map<string, AttributeType>();

  const now = isoNow(deps.clock);
  const result: ImportResult = { inserted: 0, updated: 0, unchanged: 0, rejected: [], attributes: [] };
  let rows = 0;
  let batch: MemberRow[] = [];

  const flush = async () => {
    const types = checker.types();
    const revised: AttributeInfo[] = [];
    plan.attributes.forEach((column, i) => {
      const type = types[i];
      if (type && !stored.has(column.key) && written.get(column.key) !== type) {
        revised.push({ key: column.key, type });
      }
    });
    const rowsToWrite = batch;
    batch = [];
    const counts = await deps.db.kysely.transaction().execute(async (trx) => {
      await writeAttributeTypes(trx, revised, now);
      return writeBatch(trx, rowsToWrite, plan, {
        dialect: deps.db.dialect,
        ids: deps.ids,
        at: deps.clock.now(),
        now,
        types: known,
      });
    });
    for (const r of revised) written.set(r.key, r.type);
    result.inserted += counts.inserted;
    result.updated += counts.updated;
    result.unchanged += counts.unchanged;
    options.onProgress?.({
      bytes: counter.bytes,
      rows,
      inserted: result.inserted,
      updated: result.updated,
      unchanged: result.unchanged,
      rejected: result.rejected.length,
    });
  };

  for await (const item of records) {
    if ('fatal' in item) {
      result.rejected.push({ line: item.line, reason: item.fatal });
      break;
    }
    rows++;
    const checked = checker.check(item.line, item.fields);
    if ('reason' in checked) result.rejected.push(checked);
    else batch.push(checked);
    if (batch.length >= batchSize) await flush();
  }
  await flush();

  const types = checker.types();
  plan.attributes.forEach((column, i) => {
    const type = types[i];
    if (type) result.attributes.push({ key: column.key, type });
  });
  return result;
}
