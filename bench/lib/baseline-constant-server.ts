// Baseline for the portal bench: a bare Fastify 5 route, same path shape as the portal's, that
// answers a constant JSON body (the file BASELINE_BODY, serialized by Fastify on every request
// as a route's return value is). No database, no authentication.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = JSON.parse(readFileSync(process.env['BASELINE_BODY']!, 'utf8')) as unknown;
const app = Fastify();
app.get('/api/v1/portal/members/:externalId/surveys', async () => body);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
