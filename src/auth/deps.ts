import type { Db } from '../db/index.ts';
import type { Clock, Ids } from '../kernel/index.ts';

/** What the auth module needs from its entry point. */
export interface AuthDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
}
