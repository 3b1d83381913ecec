import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findEngine } from '../../../../src/batch/runners/container/container-engine.ts';

const run = promisify(execFile);

/** The image the container tests run: busybox imported from a rootfs tar, no registry needed. */
export const testImage = 'localhost/enquete-test-busybox:latest';

const applets = ['sh', 'echo', 'sleep', 'env', 'cat', 'ls', 'printf', 'true', 'false', 'id', 'test'];

export interface PodmanForTests {
  engine: string;
  /** The engine's environment: the process's, with a containers.conf of our own. */
  env: NodeJS.ProcessEnv;
  podman(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  cleanup(): void;
}

/**
 * Podman for the container tests, or the reason to skip them (podman absent). Podman runs with
 * its own containers.conf, whatever the machine's says: runc (crun refuses these machines' hybrid
 * cgroups), no default ulimits, no pids limit. The test image is imported when missing, from
 * Debian's busybox-static (/bin/busybox) and its applet links.
 */
export async function podmanForTests(): Promise<PodmanForTests | { skip: string }> {
  const engine = findEngine('podman', process.env['PATH']);
  if (engine === null)
    return { skip: 'podman is not installed (apt-get install podman runc); .ci/run installs it' };
  const dir = mkdtempSync(join(tmpdir(), 'enquete-podman-'));
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = []\npids_limit = 0\n\n[engine]\nruntime = "runc"\n');
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const podman = (...args: string[]) => run(engine, args, { env });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const exists = await podman('image', 'exists', testImage).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (!existsSync('/bin/busybox')) {
      cleanup();
      throw new Error(
        'the container tests need /bin/busybox to build their image: apt-get install busybox-static',
      );
    }
    const root = join(dir, 'rootfs');
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'tmp'));
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    for (const applet of applets) symlinkSync('busybox', join(root, 'bin', applet));
    const tar = join(dir, 'rootfs.tar');
    await run('tar', ['-C', root, '-cf', tar, '.']);
    await podman('import', tar, testImage);
  }
  return { engine, env, podman, cleanup };
}
