import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultWebDist } from '../../src/http/routes/web.ts';
import { assertWebBuildFresh } from '../helpers/browser.ts';

/** The assets a page loads at once: its script, module preloads and style sheets. */
function assetsOf(page: string): string[] {
  const html = readFileSync(join(defaultWebDist, page), 'utf8');
  return [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!);
}

const read = (name: string) => readFileSync(join(defaultWebDist, 'assets', name));

describe('the built pages', () => {
  beforeAll(() => assertWebBuildFresh());

  it('keeps the respondent page free of console code', () => {
    const respond = assetsOf('respond.html');
    const consoleAssets = assetsOf('console.html');
    const consoleOnly = consoleAssets.filter((a) => !respond.includes(a));
    expect(consoleOnly.some((a) => a.startsWith('console-'))).toBe(true);
    expect(respond.filter((a) => a.startsWith('console-'))).toEqual([]);
    // Strings that only console code holds.
    const respondText = respond.map((a) => read(a).toString('utf8')).join('\n');
    for (const marker of ['Sign in to the console', 'Survey definition', 'one-time', 'Download CSV']) {
      expect(respondText.includes(marker), marker).toBe(false);
    }
    expect(respondText).toContain('/api/v1/respond/');
  });

  it('has brotli and gzip files equal to the originals for every script and style sheet', () => {
    const all = new Set([...assetsOf('respond.html'), ...assetsOf('console.html')]);
    for (const asset of all) {
      const original = read(asset);
      if (original.length < 1024) continue;
      expect(existsSync(join(defaultWebDist, 'assets', `${asset}.br`)), asset).toBe(true);
      expect(brotliDecompressSync(read(`${asset}.br`)).equals(original), asset).toBe(true);
      expect(gunzipSync(read(`${asset}.gz`)).equals(original), asset).toBe(true);
    }
  });

  it('keeps the respondent page within its budget: 400 KB brotli for everything it loads at once', () => {
    const total = assetsOf('respond.html').reduce((sum, asset) => {
      const br = join(defaultWebDist, 'assets', `${asset}.br`);
      return sum + (existsSync(br) ? readFileSync(br).length : read(asset).length);
    }, 0);
    expect(total).toBeLessThan(400 * 1024);
  });
});
