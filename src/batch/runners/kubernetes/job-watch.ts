import type { KubeJob } from './job-status.ts';
import { KubeApiError, type KubeClient } from './kube-client.ts';

export interface JobWatchProps {
  client: KubeClient;
  namespace: string;
  /** The Job as created (or found), whose resourceVersion the watch starts from. */
  job: KubeJob;
  pollMs: number;
  signal: AbortSignal;
  onJob(job: KubeJob): void;
  onDeleted(): void;
  onNote(text: string): void;
}

/**
 * Follows one Job until `signal` aborts: a watch (`fieldSelector=metadata.name=…`) resumed from
 * the last resourceVersion when the server ends it, listed again after 410 Gone; when watching is
 * refused or keeps breaking at once, it polls the Job every `pollMs`.
 *
 * @example
 * await watchJob({ client, namespace, job, pollMs: 2000, signal, onJob, onDeleted, onNote });
 */
export async function watchJob(p: JobWatchProps): Promise<void> {
  const name = p.job.metadata.name;
  const path = `/apis/batch/v1/namespaces/${p.namespace}/jobs`;
  let rv = p.job.metadata.resourceVersion;
  let polling = false;
  let quickEnds = 0;
  p.onJob(p.job);
  while (!p.signal.aborted) {
    if (!polling) {
      let expired = false;
      let events = 0;
      const opened = process.hrtime.bigint();
      try {
        const query = new URLSearchParams({
          fieldSelector: `metadata.name=${name}`,
          watch: 'true',
          allowWatchBookmarks: 'true',
          timeoutSeconds: '300',
        });
        if (rv) query.set('resourceVersion', rv);
        await p.client.lines(`${path}?${query}`, p.signal, (line) => {
          if (line.trim() === '') return;
          const event = JSON.parse(line) as { type: string; object: KubeJob & { code?: number } };
          events++;
          if (event.type === 'ERROR') {
            if (event.object.code === 410) expired = true;
            return;
          }
          rv = event.object.metadata.resourceVersion ?? rv;
          if (event.type === 'DELETED') p.onDeleted();
          else if (event.type !== 'BOOKMARK') p.onJob(event.object);
        });
        if (p.signal.aborted) return;
        if (expired) {
          const job = await p.client.json<KubeJob>('GET', `${path}/${name}`);
          rv = job.metadata.resourceVersion;
          p.onJob(job);
        }
        // A watch that ends at once, again and again, is being cut by something in between.
        const quick = events === 0 && process.hrtime.bigint() - opened < 1_000_000_000n;
        quickEnds = quick ? quickEnds + 1 : 0;
        if (quickEnds >= 3) {
          polling = true;
          p.onNote(`the Job watch keeps closing; polling every ${p.pollMs} ms`);
        }
        continue;
      } catch (error) {
        if (p.signal.aborted) return;
        polling = true;
        p.onNote(`watching the Job failed (${(error as Error).message}); polling every ${p.pollMs} ms`);
      }
    }
    try {
      p.onJob(await p.client.json<KubeJob>('GET', `${path}/${name}`));
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) p.onDeleted();
      // Anything else may pass: the next poll tries again.
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        p.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, p.pollMs);
      p.signal.addEventListener('abort', done, { once: true });
    });
  }
}
