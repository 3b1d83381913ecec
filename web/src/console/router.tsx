import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

/** History routing: the server answers console.html for every console path. */
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

/**
 * Goes to a console path without reloading the page.
 *
 * @example
 * navigate(`/surveys/${survey.id}`);
 */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

/** The current path; re-renders on navigation and on the browser's back and forward. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** The current query string (`?q=…`, or ''); re-renders when a navigation changes it. */
export function useSearch(): string {
  return useSyncExternalStore(subscribe, () => window.location.search);
}

export type Route =
  | { page: 'members' }
  | { page: 'member'; externalId: string }
  | { page: 'segments' }
  | { page: 'jobs' }
  | { page: 'job'; name: string }
  | { page: 'waves' }
  | { page: 'wave'; id: string }
  | { page: 'outbox' }
  | { page: 'surveys' }
  | { page: 'survey'; id: string }
  | { page: 'edit'; id: string }
  | { page: 'new' }
  | { page: 'users' }
  | { page: 'account' }
  | { page: 'login' }
  | { page: 'home' }
  | { page: 'not-found' };

/** Maps a path to a page. */
export function matchRoute(path: string): Route {
  const parts = path.split('/').filter((p) => p !== '');
  const [first, second, third] = parts.map((p) => decodeURIComponent(p));
  if (parts.length === 0) return { page: 'home' };
  if (first === 'login' && parts.length === 1) return { page: 'login' };
  if (first === 'users' && parts.length === 1) return { page: 'users' };
  if (first === 'account' && parts.length === 1) return { page: 'account' };
  if (first === 'members' && parts.length === 1) return { page: 'members' };
  if (first === 'members' && second !== undefined && parts.length === 2) {
    return { page: 'member', externalId: second };
  }
  if (first === 'segments' && parts.length === 1) return { page: 'segments' };
  if (first === 'jobs' && parts.length === 1) return { page: 'jobs' };
  if (first === 'jobs' && second !== undefined && parts.length === 2) return { page: 'job', name: second };
  if (first === 'waves' && parts.length === 1) return { page: 'waves' };
  if (first === 'waves' && second !== undefined && parts.length === 2) return { page: 'wave', id: second };
  if (first === 'outbox' && parts.length === 1) return { page: 'outbox' };
  if (first !== 'surveys') return { page: 'not-found' };
  if (parts.length === 1) return { page: 'surveys' };
  if (second === 'new' && parts.length === 2) return { page: 'new' };
  if (second && parts.length === 2) return { page: 'survey', id: second };
  if (second && third === 'edit' && parts.length === 3) return { page: 'edit', id: second };
  return { page: 'not-found' };
}

/** An ordinary link that navigates in place (a new tab still works with ctrl/cmd/middle click). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { onClick, href, ...rest } = props;
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a {...rest} href={href} onClick={handle} />;
}
