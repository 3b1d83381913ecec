import pg from 'pg';

/**
 * Decides once per run whether PostgreSQL is reachable for the dual-dialect suites.
 * `ENQUETE_TEST_PG` (a postgres:// URL to an admin database) overrides the default local server;
 * set it to `off` to run SQLite only. In CI (CI=true) an unreachable server is an error, not a skip.
 */
export default async function setup(): Promise<void> {
  const url = process.env['ENQUETE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (url === 'off') {
    process.env['ENQUETE_TEST_PG'] = 'off';
    return;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    process.env['ENQUETE_TEST_PG'] = url;
  } catch (error) {
    if (process.env['CI'])
      throw new Error(`PostgreSQL is required in CI but ${url} is unreachable: ${String(error)}`);
    console.warn(`\n[enquete] PostgreSQL unreachable at ${url}; PostgreSQL suites are skipped.\n`);
    process.env['ENQUETE_TEST_PG'] = 'off';
  } finally {
    await client.end().catch(() => {});
  }
}
