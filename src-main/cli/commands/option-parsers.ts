// Commander argument parsers made from the vocabulary's (src-shared/vocabulary): a flag
// value the vocabulary refuses is a usage error (exit 2) with the vocabulary's message,
// before the helper is reached; what passes is the parsed value the helper's schema takes.
import { InvalidArgumentError } from 'commander';
import { parseName, parseSize, type NameKind, type Parsed, type SizeRule } from '../../../src-shared/vocabulary/index.js';

/** One value: the parsed result, or a usage error with the parser's message. */
export function single<T>(parse: (text: string) => Parsed<T>): (text: string) => T {
  return (text) => {
    const r = parse(text);
    if (!r.ok) throw new InvalidArgumentError(r.message);
    return r.value;
  };
}

/** A repeatable flag: each value parsed and appended. */
export function repeated<T>(parse: (text: string) => Parsed<T>): (text: string, previous?: T[]) => T[] {
  const one = single(parse);
  return (text, previous = []) => [...previous, one(text)];
}

/** A size flag ("2GiB", "2g", "2048" for MiB): MiB. */
export function sizeArg(rule: SizeRule): (text: string) => number {
  return single((text) => parseSize(text, rule));
}

/** A resource name argument, checked against its kind's rule. */
export function nameArg(kind: NameKind): (text: string) => string {
  return single((text) => parseName(kind, text));
}

/** A whole number from `min` to `max`. */
export function wholeNumber(what: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function positiveNumber(what: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number`);
    return n;
  };
}
