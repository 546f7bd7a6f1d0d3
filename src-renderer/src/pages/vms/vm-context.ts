// The VM section's store, handed down through context while the section is open.
import { createContext, useContext } from 'react';
import type { VmListStore } from '../../stores/vm-store.js';

export const VmStoreContext = createContext<VmListStore | null>(null);

export function useVmStore(): VmListStore {
  const store = useContext(VmStoreContext);
  if (!store) throw new Error('useVmStore outside <VmStoreContext>');
  return store;
}

/** Opens (or focuses) the VM's graphical console window; the page there fetches its password. */
export function openConsoleWindow(name: string, url: string): void {
  window.open(url, `nova-console-${name}`, 'popup,width=1040,height=820');
}
