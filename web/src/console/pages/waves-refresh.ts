import { useEffect } from 'react';

/**
 * Calls `reload` every `ms` while the component is shown (progress, outbox and quota counts move
 * on their own).
 *
 * @example
 * const [progress, reload] = useLoad(() => wavesApi.progress(id), [id]);
 * useEvery(reload, 3_000);
 */
export function useEvery(reload: () => void, ms: number): void {
  useEffect(() => {
    const timer = window.setInterval(reload, ms);
    return () => window.clearInterval(timer);
  }, [reload, ms]);
}
