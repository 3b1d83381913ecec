import pg from 'pg';

/**
 * A throwaway PostgreSQL database on the server of `serverUrl` (its database part is ignored):
 * created now, dropped by `drop()`. Benchmarks never write into a database that exists already.
 */
export async function throwawayDatabase(
  serverUrl: string,
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const urlOf = (database: string) => Object.assign(new URL(serverUrl), { pathname: `/${database}` }).href;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: urlOf('postgres') });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  return {
    url: urlOf(name),
    // A plain drop, retried while the database is in use: pg's `Pool.end()` resolves before its
    // sockets close, and a forced drop at that moment kills a connection whose pool has no error
    // listener left. Forced only as a last resort.
    drop: async () => {
      for (let i = 0; i < 100; i++) {
        try {
          await admin(`drop database if exists ${name}`);
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== '55006') throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}
