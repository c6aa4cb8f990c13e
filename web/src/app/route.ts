/** A tiny path router: the server answers every page path with index.html (src/api/web.ts). */
import { useEffect, useState } from 'react';

export const pages = ['agent', 'supervisor', 'admin'] as const;
export type Page = (typeof pages)[number];

function current(): Page | undefined {
  const first = location.pathname.split('/')[1];
  return (pages as readonly string[]).includes(first ?? '') ? (first as Page) : undefined;
}

export function navigate(page: Page): void {
  if (current() === page) return;
  history.pushState(null, '', `/${page}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePage(): Page | undefined {
  const [page, setPage] = useState(current);
  useEffect(() => {
    const update = () => setPage(current());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return page;
}
