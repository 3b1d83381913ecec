import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Text assets worth compressing; images and fonts are compressed already. */
const compressible = /\.(js|mjs|css|html|svg|json|map|txt)$/;

export interface PrecompressOptions {
  /** Files smaller than this stay uncompressed (the server then sends the original). */
  minBytes?: number;
}

/**
 * Writes `.br` and `.gz` siblings of every text asset after the bundle is written, so the server
 * sends compressed files without compressing on each request (`@fastify/static` `preCompressed`).
 *
 * @example
 * export default defineConfig({ plugins: [react(), precompress()] });
 */
export function precompress(options: PrecompressOptions = {}): Plugin {
  const minBytes = options.minBytes ?? 1024;
  return {
    name: 'enquete-precompress',
    apply: 'build',
    async writeBundle(output, bundle) {
      const dir = output.dir ?? '.';
      const files = Object.keys(bundle).filter((name) => compressible.test(name));
      for (const name of files) {
        const file = join(dir, name);
        const raw = await readFile(file);
        if (raw.length < minBytes) continue;
        const [br, gz] = await Promise.all([
          brotli(raw, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
            },
          }),
          gzipAsync(raw, { level: constants.Z_BEST_COMPRESSION }),
        ]);
        await Promise.all([writeFile(`${file}.br`, br), writeFile(`${file}.gz`, gz)]);
      }
    },
  };
}
