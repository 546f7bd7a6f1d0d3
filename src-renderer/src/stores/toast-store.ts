// What finished, said once on screen: each action that ends puts a line here ("Restored
// 'pre-upgrade'"). Successes fade after a while; failures stay until dismissed, since a
// person who looked away must still learn that something did not happen. One per window,
// as a window has one place where these appear (components/Toasts.tsx).
import { createStore } from 'zustand/vanilla';

export type ToastTone = 'success' | 'info' | 'error';

export interface Toast {
  readonly id: number;
  readonly tone: ToastTone;
  readonly text: string;
  /** A second line: why, or what to do next. */
  readonly detail?: string;
}

export interface ToastState {
  readonly toasts: readonly Toast[];
  readonly show: (toast: Omit<Toast, 'id'>) => number;
  readonly dismiss: (id: number) => void;
}

/** Long enough to read two lines twice; errors never fade. */
export const SUCCESS_FADE_MS = 8_000;
const MAX_SHOWN = 5;

export function createToastStore(fadeMs = SUCCESS_FADE_MS) {
  let seq = 0;
  return createStore<ToastState>((set, get) => ({
    toasts: [],
    show: (toast) => {
      const id = ++seq;
      // The oldest successes give way first: an error is never pushed off the screen by news.
      let toasts = [...get().toasts, { ...toast, id }];
      while (toasts.length > MAX_SHOWN) {
        const drop = toasts.find((t) => t.tone !== 'error') ?? toasts[0]!;
        toasts = toasts.filter((t) => t !== drop);
      }
      set({ toasts });
      if (toast.tone !== 'error') setTimeout(() => get().dismiss(id), fadeMs);
      return id;
    },
    dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
  }));
}

export const toasts = createToastStore();

/** Says that something finished well. */
export function announce(text: string, detail?: string): void {
  toasts.getState().show({ tone: 'success', text, ...(detail ? { detail } : {}) });
}

/** Says that something failed; it stays until dismissed. */
export function announceFailure(text: string, detail?: string): void {
  toasts.getState().show({ tone: 'error', text, ...(detail ? { detail } : {}) });
}
