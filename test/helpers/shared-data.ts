import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * The shared real datasets (see their README), found wherever this checkout lives:
 * `ENQUETE_SHARED_DATA` when set; else `../shared/data` beside the checkout (the workplace's
 * layout); else `/work/shared/data`, where this workplace keeps them for a clone made elsewhere
 * (CI clones into a folder of its own). A run without them fails, naming where it looked.
 */
function findSharedData(): URL {
  const candidates = [
    process.env['ENQUETE_SHARED_DATA'],
    new URL('../../../shared/data/', import.meta.url).pathname,
    '/work/shared/data/',
  ].filter((c): c is string => typeof c === 'string' && c !== '');
  for (const candidate of candidates) {
    const dir = candidate.endsWith('/') ? candidate : `${candidate}/`;
    if (existsSync(`${dir}README.md`)) return pathToFileURL(dir);
  }
  throw new Error(
    `the shared datasets are not there; looked in ${candidates.join(', ')} (set ENQUETE_SHARED_DATA)`,
  );
}

export const sharedDataDir = findSharedData();
