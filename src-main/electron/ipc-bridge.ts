// Binds each NovaApi method to its IPC channel and forwards events to the window.
// Every call is checked for its sender before it reaches the handler table.
import { ipcMain, type BrowserWindow } from 'electron';
import { METHOD_NAMES } from '../../src-shared/api/nova-api.js';
import { IPC_EVENT_CHANNEL, ipcChannelFor } from '../../src-shared/wire/ipc-channels.js';
import type { EventHub } from '../core/event-hub.js';
import type { NovaApiHandlers } from '../core/nova-api-handlers.js';
import { isTrustedSender, type TrustedWindows } from './security.js';

export type IpcHandlers = Pick<NovaApiHandlers, 'invoke'>;
export type IpcEvents = Pick<EventHub, 'subscribe'>;

export function bindIpc(handlers: IpcHandlers, events: IpcEvents, getWindow: () => BrowserWindow | null, trusted: TrustedWindows): () => void {
  // The window hears events once it asks (events.subscribe); what main hears, the helper
  // authorized for main's own connection.
  let unsubscribe: (() => void) | null = null;
  const subscribeWindow = () => {
    unsubscribe ??= events.subscribe((event) => {
      const win = getWindow();
      if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, event);
    });
  };
  for (const method of METHOD_NAMES) {
    ipcMain.handle(ipcChannelFor(method), async (event, params: unknown, host: unknown) => {
      if (!isTrustedSender(event, trusted)) {
        return { ok: false, error: { code: 'not_authorized', message: 'IPC from an untrusted frame was refused' } };
      }
      if (method === 'events.subscribe') subscribeWindow();
      return handlers.invoke(method, params, host);
    });
  }
  return () => {
    unsubscribe?.();
    for (const method of METHOD_NAMES) ipcMain.removeHandler(ipcChannelFor(method));
  };
}
