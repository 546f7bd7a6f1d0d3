// Where an installed Nova keeps its helper socket and state, shared by every process.
export const DEFAULT_HELPER_SOCKET = '/run/nova/helper.sock';
export const DEFAULT_STATE_DIR = '/var/lib/nova';
export const NOVA_VERSION = '0.1.0';
