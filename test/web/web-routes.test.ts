import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { installErrorHandler } from '../../src/http/errors.ts';
import { consolePaths, webRoutes } from '../../src/http/routes/web.ts';

const script = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;
const respondHtml = '<!doctype html><title>respond</title>';
const consoleHtml = '<!doctype html><title>console</title>';

async function appOn(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandler(app);
  webRoutes(app, { config: loadConfig({ ENQUETE_DATA_DIR: distDir }, distDir), distDir });
  await app.ready();
  return app;
}

describe('web routes with a build', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enquete-web-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'respond.html'), respondHtml);
    await writeFile(join(dir, 'console.html'), consoleHtml);
    await writeFile(join(dir, 'assets', 'app-abc123.js'), script);
    await writeFile(join(dir, 'assets', 'app-abc123.js.br'), brotliCompressSync(script));
    await writeFile(join(dir, 'assets', 'app-abc123.js.gz'), gzipSync(script));
    await writeFile(join(dir, 'assets', 'small-x.css'), 'a{color:red}');
    app = await appOn(dir);
  });

  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the brotli file to a browser that accepts it, with immutable caching', async () => {
    const res = await app.inject({
      url: '/assets/app-abc123.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
    expect(res.headers['vary']).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(res.rawPayload).toString()).toBe(script);
  });

  it('serves gzip when brotli is not accepted, and the original when nothing is', async () => {
    const gz = await app.inject({ url: '/assets/app-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(script);
    const plain = await app.inject({
      url: '/assets/app-abc123.js',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('falls back to the original for a file with no compressed sibling', async () => {
    const res = await app.inject({ url: '/assets/small-x.css', headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toBe('a{color:red}');
  });

  it('answers 404 in the API error shape for a missing asset, and refuses paths out of assets', async () => {
    const missing = await app.inject({ url: '/assets/nope-000.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ROUTE_NOT_FOUND');
    const outside = await app.inject({ url: '/assets/..%2Frespond.html' });
    expect(outside.statusCode).toBe(404);
    expect(outside.body).not.toContain('<title>respond');
  });

  it('answers the respondent page at /s/:token, never cached, no referrer to other sites', async () => {
    const res = await app.inject({ url: '/s/tok_ABC-123?ch=email' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(respondHtml);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('answers console.html for every console path', async () => {
    const urls = consolePaths.map((p) =>
      p.replace(':id', 'sv_123').replace(':externalId', 'm%2F1').replace(':name', 'nightly'),
    );
    expect(urls).toEqual([
      '/',
      '/login',
      '/surveys',
      '/surveys/new',
      '/surveys/sv_123',
      '/surveys/sv_123/edit',
      '/users',
      '/members',
      '/members/m%2F1',
      '/segments',
      '/jobs',
      '/jobs/nightly',
      '/waves',
      '/waves/sv_123',
      '/outbox',
      '/account',
    ]);
    for (const url of urls) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(consoleHtml);
      expect(res.headers['cache-control'], url).toBe('no-store');
      expect(res.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
    }
    const other = await app.inject({ url: '/surveys/sv_123/nothing' });
    expect(other.statusCode).toBe(404);
  });
});

describe('web routes without a build', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enquete-web-none-'));
    app = await appOn(join(dir, 'dist'));
  });

  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 WEB_NOT_BUILT naming the command to run', async () => {
    for (const url of ['/s/tok_1', '/surveys', '/', '/assets/respond-abc.js']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(503);
      expect(res.json().error.code, url).toBe('WEB_NOT_BUILT');
      expect(res.json().error.message, url).toContain('npm run build:web');
    }
  });
});
