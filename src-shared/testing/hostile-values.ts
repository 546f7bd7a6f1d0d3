// What a fuzzer puts where a value belongs: JSON text that is valid but hostile (keys that
// pollute prototypes, huge strings, deep nesting, numbers at the edges, every wrong type)
// and text that is not JSON at all (NaN, truncated, lone surrogates). Shared by the
// NovaFile, JSON-RPC and WebSocket fuzz tests, each seeded so a failure repeats.
import type { SeededRandom } from './seeded-random.js';

const STRINGS = [
  '', ' ', 'a', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'x; rm -rf /', '$(id)', '`id`',
  'line\nbreak', '--help', '-rf', '../../etc/passwd', '/etc/shadow', '\u0000', 'nul\u0000inside', '\ud800', '\u202eevil',
  '%s%n%x', '{{7*7}}', '\\', '"', "'", '${PATH}', 'web', 'nova:lab', '10.0.0.1/24', '512Mi', '0000:01:00.0', 'é',
];
const NUMBERS = ['0', '-0', '-1', '1', '0.5', '1e308', '-1e308', '1e-320', '9007199254740993', '4294967296', '65536', '4095', '4096'];
const NOT_JSON = ['NaN', 'Infinity', '-Infinity', 'undefined', "'single'", '0x10', '01', '.5', '+1', '{', '[', '"unterminated', '{"a":}', '[1,]', '\u0000'];

/** JSON text of one hostile value; `budget` bounds its size in characters. */
export function hostileJson(r: SeededRandom, budget = 200_000, depth = 0): string {
  const kind = r.int(depth > 3 ? 5 : 9);
  switch (kind) {
    case 0:
      return JSON.stringify(r.pick(STRINGS));
    case 1:
      return r.pick(NUMBERS);
    case 2:
      return r.pick(['true', 'false', 'null']);
    case 3:
      return JSON.stringify(r.pick(STRINGS).repeat(1 + r.int(Math.max(1, Math.min(budget, 100_000)))).slice(0, budget));
    case 4: {
      const levels = 1 + r.int(Math.max(1, Math.floor(budget / 2)));
      return r.next() < 0.5 ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(Math.floor(levels / 5) + 1)}1${'}'.repeat(Math.floor(levels / 5) + 1)}`;
    }
    case 5:
      return `[${Array.from({ length: r.int(4) }, () => hostileJson(r, budget / 4, depth + 1)).join(',')}]`;
    case 6:
      return hostileObject(r, budget / 2, depth + 1);
    case 7:
      return `{"__proto__": {"polluted": ${hostileJson(r, 100, depth + 1)}}, "constructor": {"prototype": {"polluted": true}}}`;
    default:
      return JSON.stringify({ toString: 'x', valueOf: 1, length: -1, then: 'x' });
  }
}

export function hostileObject(r: SeededRandom, budget: number, depth: number): string {
  const keys = Array.from({ length: r.int(4) }, () => JSON.stringify(r.pick(STRINGS)));
  return `{${keys.map((k) => `${k}:${hostileJson(r, budget / 4, depth + 1)}`).join(',')}}`;
}

/** Text that is not JSON, or JSON spoiled: for a value's place in a frame. */
export function notJson(r: SeededRandom): string {
  return r.pick(NOT_JSON);
}

/** One edit of `text`: cut it, drop or repeat a slice, insert hostile characters, flip a byte. */
export function mutateText(r: SeededRandom, text: string, alphabet: readonly string[]): string {
  const at = r.int(text.length + 1);
  switch (r.int(6)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + r.int(40));
    case 2: {
      const slice = text.slice(at, at + 1 + r.int(60));
      return text.slice(0, at) + slice.repeat(1 + r.int(3)) + text.slice(at);
    }
    case 3:
      return text.slice(0, at) + r.pick(alphabet) + text.slice(at);
    case 4:
      return text.slice(0, at) + String.fromCharCode(r.int(0x3000)) + text.slice(at + 1);
    default:
      return text.slice(0, at) + r.pick(STRINGS) + text.slice(at);
  }
}
