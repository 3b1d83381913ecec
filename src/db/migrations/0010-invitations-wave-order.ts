import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Distribution hub: the first messages and each reminder round walk a wave's invitations in id
 * order, a page at a time (`wave_id = ? and id > ? order by id limit 500`). The (wave_id, status)
 * index does not give that order, so every page sorted the whole wave: about half a second a page
 * on a 1,000,000-member wave, a quarter of an hour to queue its messages. This index answers each
 * page from one range.
 */
export function up0010(_dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    await db.schema
      .createIndex('invitations_wave_order')
      .on('invitations')
      .columns(['wave_id', 'id'])
      .execute();
  };
}
