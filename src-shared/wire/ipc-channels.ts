// Electron IPC channel names: one channel per NovaApi method, one for events.
export const IPC_EVENT_CHANNEL = 'nova:event';

export function ipcChannelFor(method: string): string {
  return `nova:call:${method}`;
}
