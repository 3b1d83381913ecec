import { type Kysely, sql } from 'kysely';

/**
 * Distribution hub: first messages held for quota (outbox status `held`, see
 * src/distribution/quota-holds.ts) are counted per wave by its progress, polled by the console,
 * and released per survey when a limit makes room. Without an index of their own SQLite counted
 * them by walking every outbox row of the wave (`distribution_outbox_wave`), a table read each: on
 * a wave of 1,000,000 messages, every poll. This partial index holds the held rows only — few, and
 * none once released — so both read just those.
 */
export async function up0015(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('distribution_outbox_held')
    .on('distribution_outbox')
    .column('wave_id')
    .where(sql.ref('status'), '=', 'held')
    .execute();
}
