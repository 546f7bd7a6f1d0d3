// The Nova contract: shared by the renderer, the preload, main and the helper.
// It imports no process folder and nothing but zod, so every side can load it.
export * from './actions.js';
export * from './defaults.js';
export * from './errors.js';
export * from './host.js';
export * from './novafile.js';
export * from './project.js';
export * from './api/define.js';
export * from './api/app-api.js';
export * from './api/host-api.js';
export * from './vm.js';
export * from './api/vm-api.js';
export * from './network.js';
export * from './api/network-api.js';
export * from './capsule.js';
export * from './api/capsule-api.js';
export * from './operation.js';
export * from './api/operation-api.js';
export * from './terminal-protocol.js';
export * from './api/events.js';
export * from './api/event-api.js';
export * from './api/nova-api.js';
export * from './wire/frame-decoder.js';
export * from './wire/rpc-errors.js';
export * from './wire/notifications.js';
export * from './wire/web-protocol.js';
export * from './wire/ipc-channels.js';
