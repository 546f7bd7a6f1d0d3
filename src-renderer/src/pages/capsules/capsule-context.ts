// The Capsules section's store, handed down through context while the section is open.
import { createContext, useContext } from 'react';
import type { CapsuleStore } from '../../stores/capsule-store.js';

export const CapsuleStoreContext = createContext<CapsuleStore | null>(null);

export function useCapsuleStore(): CapsuleStore {
  const store = useContext(CapsuleStoreContext);
  if (!store) throw new Error('useCapsuleStore outside <CapsuleStoreContext>');
  return store;
}
