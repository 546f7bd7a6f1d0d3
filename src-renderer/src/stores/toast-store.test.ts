import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createToastStore } from './toast-store.js';

describe('toast store', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets successes fade and keeps failures until dismissed', () => {
    const store = createToastStore(1000);
    store.getState().show({ tone: 'success', text: "Restored 'pre-upgrade'" });
    const failure = store.getState().show({ tone: 'error', text: 'Could not stop web' });
    vi.advanceTimersByTime(1500);
    expect(store.getState().toasts.map((t) => t.text)).toEqual(['Could not stop web']);
    store.getState().dismiss(failure);
    expect(store.getState().toasts).toEqual([]);
  });

  it('drops old successes, never a failure, when too many pile up', () => {
    const store = createToastStore(60_000);
    store.getState().show({ tone: 'error', text: 'failed' });
    for (let i = 0; i < 6; i++) store.getState().show({ tone: 'success', text: `done ${i}` });
    const texts = store.getState().toasts.map((t) => t.text);
    expect(texts).toContain('failed');
    expect(texts).toHaveLength(5);
    expect(texts).not.toContain('done 0');
  });
});
