// What a web-mode API token may call. A `view` token reaches the methods whose polkit
// action is a view (the same mapping the helper checks: src-shared/actions.ts and each
// method's `served`), a `manage` token everything the user running `nova web` may do.
// A method that names no view action, or is not a method at all, needs `manage`.
import { isMethodName, methodDef, VIEW_ACTIONS } from '../../src-shared/index.js';

export const TOKEN_SCOPES = ['view', 'manage'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export function scopeNeeded(method: string): TokenScope {
  if (!isMethodName(method)) return 'manage';
  const action = methodDef(method).served.action;
  return action !== undefined && VIEW_ACTIONS.includes(action) ? 'view' : 'manage';
}

export function scopeAllows(held: TokenScope, method: string): boolean {
  return held === 'manage' || scopeNeeded(method) === 'view';
}
