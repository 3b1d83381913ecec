import type { Kysely } from 'kysely';

/**
 * External survey engines: a wave may send its members to a survey hosted elsewhere.
 *
 * `external_url` is the engine's address with `{token}` where the member's token goes; null for a
 * wave the hub renders itself. `return_secret` is the wave's own HMAC key for the engine's return
 * links (complete, screen-out, quota-full); one per wave, so a leaked engine configuration cannot
 * forge another wave's outcomes. Both are set at creation and never change.
 */
export async function up0007(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('waves').addColumn('external_url', 'text').execute();
  await db.schema.alterTable('waves').addColumn('return_secret', 'text').execute();
}
