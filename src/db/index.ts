export {
  type Db,
  type Dialect,
  isUniqueViolation,
  migrateToLatest,
  migrations,
  type OpenDatabaseProps,
  openDatabase,
} from './database.ts';
export type * from './schema.ts';
export { dumpSchema } from './schema-dump.ts';
