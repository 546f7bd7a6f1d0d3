// Unwraps a parser's result in tests, failing with what the parser said instead.
import type { Parsed } from './parsed.js';

export function value<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected success, got: ${result.message}`);
  return result.value;
}

export function message<T>(result: Parsed<T>): string {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.message;
}
