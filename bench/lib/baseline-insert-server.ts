// Baseline for the completion bench: a bare Fastify route that only inserts the posted JSON as a
// row into SQLite (WAL, same pragmas as enquete), keyed by the token in the path.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';

const dir = process.env['BASELINE_DIR']!;
mkdirSync(dir, { recursive: true });
const db = new SQLite(join(dir, 'baseline.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(
  'create table if not exists responses (token text primary key, data text not null, completed_at text not null)',
);
const insert = db.prepare('insert into responses (token, data, completed_at) values (?, ?, ?)');

const app = Fastify({ bodyLimit: 2 * 1024 * 1024 });
app.post<{ Params: { token: string }; Body: { data: unknown } }>('/insert/:token', async (request) => {
  insert.run(request.params.token, JSON.stringify(request.body.data), new Date().toISOString());
  return { status: 'completed' };
});
app.get('/constant', async () => ({ status: 'ok' }));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
