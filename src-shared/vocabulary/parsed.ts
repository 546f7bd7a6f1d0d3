// What every vocabulary parser returns: the typed value, or a message that tells the
// user what to write instead. Parsers never throw, so a CLI flag, a NovaFile key, a form
// field and a zod schema (syntax-schema.ts) each present the same message their own way.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = (message: string): Parsed<never> => ({ ok: false, message });

/** A value as a user would recognise it in a message: strings quoted, tables named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a table';
  return String(value);
}

/** Runs a text parser on a value that may not be text, naming `what` was expected. */
export function parseText<T>(value: unknown, what: string, parse: (text: string) => Parsed<T>): Parsed<T> {
  return typeof value === 'string' ? parse(value) : fail(`expected ${what}, got ${describeValue(value)}`);
}

/** The value, or the message as an Error: for callers whose input is known to parse. */
export function valueOf<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(result.message);
  return result.value;
}
