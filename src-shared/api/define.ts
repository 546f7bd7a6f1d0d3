// The building blocks of the contract: a method is its params schema, its result
// schema and who serves it. Helper-served methods must name their polkit action,
// so a method without one cannot type-check.
import type { z } from 'zod';
import type { PolkitAction } from '../actions.js';

export type ServedBy =
  | { by: 'helper'; action: PolkitAction }
  // A main-served method names an action only when what it does amounts to one (web mode's
  // token scopes read it); without one it counts as a change, so a new one fails closed.
  | { by: 'main'; action?: PolkitAction };

export interface MethodDef<
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  S extends ServedBy = ServedBy,
> {
  readonly summary: string;
  readonly params: P;
  readonly result: R;
  readonly served: S;
  /** Per-call timeout in milliseconds across the helper hop (default: DEFAULT_CALL_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export function defineMethod<P extends z.ZodType, R extends z.ZodType, S extends ServedBy>(
  def: MethodDef<P, R, S>,
): MethodDef<P, R, S> {
  return def;
}

/** Method names are `group.verb`: one dot, so the preload can nest them as nova.group.verb. */
export const METHOD_NAME_PATTERN = /^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/;
