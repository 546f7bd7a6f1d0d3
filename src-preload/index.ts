// The preload: exposes exactly window.nova and nothing else. Events from main are
// validated here before they reach the page.
import { contextBridge, ipcRenderer } from 'electron';
import { parseNovaEvent } from '../src-shared/api/events.js';
import { IPC_EVENT_CHANNEL } from '../src-shared/wire/ipc-channels.js';
import { buildNovaBridge } from './nova-bridge.js';

const bridge = buildNovaBridge(
  (channel, params, host) => ipcRenderer.invoke(channel, params, host),
  (listener) => {
    const handler = (_: Electron.IpcRendererEvent, raw: unknown) => {
      const event = parseNovaEvent(raw);
      if (event) listener(event);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
);

contextBridge.exposeInMainWorld('nova', bridge);
