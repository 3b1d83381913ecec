import { z } from 'zod';
import { durationSetting, patternText } from '../settings-fields.ts';

/**
 * Settings of the container runner, in `runners.container` of jobs.yaml and, per job, in
 * `runnerOptions` (a job's keys replace the shared ones; `mounts` is replaced whole).
 */
export const containerSettingsSchema = z.strictObject({
  /** `podman`, `docker` or a path to either; by default podman if on PATH, else docker. */
  engine: z.string().min(1).optional(),
  /** `--network`: `none`, `host`, `bridge`, `private` or a network's name; the engine's default otherwise. */
  network: patternText(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected a network name').optional(),
  /** Bind mounts `SOURCE:TARGET` or `SOURCE:TARGET:ro`, both absolute paths. */
  mounts: z
    .array(
      patternText(
        /^\/[^:,]*:\/[^:,]*(:(ro|rw))?$/,
        'expected SOURCE:TARGET or SOURCE:TARGET:ro (absolute paths)',
      ),
    )
    .optional(),
  /** `--pull`: `missing` (the engines' default), `always`, `never` or `newer` (podman). */
  pull: z.enum(['missing', 'always', 'never', 'newer']).optional(),
  /** Between SIGTERM and SIGKILL when a run is stopped. Default 5s. */
  stopGrace: durationSetting('5s').optional(),
});

export type ContainerSettings = z.infer<typeof containerSettingsSchema>;
