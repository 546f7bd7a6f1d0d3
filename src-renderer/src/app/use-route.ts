// The current page, read from the URL hash; links change the hash, this hook re-renders.
import { useSyncExternalStore } from 'react';
import { routeFromHash, type RouteId } from './routes.js';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): RouteId {
  return useSyncExternalStore(subscribe, () => routeFromHash(window.location.hash));
}
