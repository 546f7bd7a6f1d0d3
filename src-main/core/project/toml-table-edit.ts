// A targeted edit of one table's keys in TOML text, keeping every other byte as it was:
// comments, order, blank lines, quoting and line endings. A small scanner finds the
// table's header and its key/value statements (skipping strings, multi-line arrays and
// inline tables), then only the value spans of the keys asked for are replaced, removed or
// appended. Used to write a GUI change back into a NovaFile (novafile-write-back.ts).
import { NovaError } from '../../../src-shared/errors.js';

export interface KeyEdit {
  key: string;
  /** The new value as TOML text (`"96Mi"`, `2`, `["a", "b"]`); null removes the key. */
  value: string | null;
}

interface Header {
  type: 'header';
  path: string[];
  /** `[[x]]`: an array of tables. */
  array: boolean;
  start: number;
  end: number;
}

interface KeyValue {
  type: 'kv';
  path: string[];
  /** Offset where the line's indentation ends. */
  keyStart: number;
  lineStart: number;
  valueStart: number;
  valueEnd: number;
  /** After the newline that ends the statement (or the text's end). */
  end: number;
}

type Statement = Header | KeyValue;

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  i = 0;
  constructor(readonly text: string) {}

  get c(): string {
    return this.text[this.i] ?? '';
  }

  fail(what: string): never {
    const line = this.text.slice(0, this.i).split('\n').length;
    throw new NovaError('invalid_argument', `the TOML text cannot be edited: ${what} at line ${line}`);
  }

  skipSpaces(): void {
    while (this.c === ' ' || this.c === '\t') this.i++;
  }

  skipToLineEnd(): void {
    while (this.i < this.text.length && this.c !== '\n') this.i++;
  }

  /** Past the newline, if at one. */
  skipNewline(): void {
    if (this.c === '\r' && this.text[this.i + 1] === '\n') this.i++;
    if (this.c === '\n') this.i++;
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.i);
  }

  /** Skips a string of any of the four kinds; returns its decoded text for a key. */
  string(): string {
    const from = this.i;
    if (this.startsWith('"""') || this.startsWith("'''")) {
      const q = this.text.slice(this.i, this.i + 3);
      this.i += 3;
      for (;;) {
        if (this.i >= this.text.length) this.fail('an unterminated multi-line string');
        if (q === '"""' && this.c === '\\') this.i += 2;
        else if (this.startsWith(q)) {
          this.i += 3;
          // A closing quote may be followed by up to two more quotes that belong to the content.
          while (this.c === q[0]) this.i++;
          return this.text.slice(from + 3, this.i - 3);
        } else this.i++;
      }
    }
    const q = this.c;
    this.i++;
    for (;;) {
      if (this.i >= this.text.length || this.c === '\n') this.fail('an unterminated string');
      if (q === '"' && this.c === '\\') this.i += 2;
      else if (this.c === q) {
        this.i++;
        const raw = this.text.slice(from, this.i);
        return q === '"' ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      } else this.i++;
    }
  }

  keyPath(): string[] {
    const path: string[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.c === '"' || this.c === "'") path.push(this.string());
      else {
        const from = this.i;
        while (BARE_KEY.test(this.c)) this.i++;
        if (from === this.i) this.fail('a key expected');
        path.push(this.text.slice(from, this.i));
      }
      this.skipSpaces();
      if (this.c !== '.') return path;
      this.i++;
    }
  }

  /** Skips one value, arrays and inline tables whole; stops before trailing spaces and comments. */
  value(): void {
    let depth = 0;
    let lastEnd = this.i;
    while (this.i < this.text.length) {
      const c = this.c;
      if (c === '"' || c === "'") {
        this.string();
        lastEnd = this.i;
      } else if (c === '[' || c === '{') {
        depth++;
        this.i++;
        lastEnd = this.i;
      } else if (c === ']' || c === '}') {
        depth--;
        this.i++;
        lastEnd = this.i;
      } else if (c === '#') {
        if (depth === 0) break;
        this.skipToLineEnd();
      } else if (c === '\n' || (c === '\r' && this.text[this.i + 1] === '\n')) {
        if (depth === 0) break;
        this.skipNewline();
      } else {
        this.i++;
        if (c !== ' ' && c !== '\t') lastEnd = this.i;
      }
    }
    this.i = lastEnd;
  }
}

function scan(text: string): Statement[] {
  const s = new Scanner(text);
  const out: Statement[] = [];
  while (s.i < text.length) {
    const lineStart = s.i;
    s.skipSpaces();
    if (s.c === '#' || s.c === '\n' || s.c === '\r' || s.c === '') {
      s.skipToLineEnd();
      s.skipNewline();
      continue;
    }
    if (s.c === '[') {
      const array = s.startsWith('[[');
      s.i += array ? 2 : 1;
      const path = s.keyPath();
      if (!s.startsWith(array ? ']]' : ']')) s.fail('a table header without its closing bracket');
      s.skipToLineEnd();
      s.skipNewline();
      out.push({ type: 'header', path, array, start: lineStart, end: s.i });
      continue;
    }
    const keyStart = s.i;
    const path = s.keyPath();
    if (s.c !== '=') s.fail(`"=" expected after ${path.join('.')}`);
    s.i++;
    s.skipSpaces();
    const valueStart = s.i;
    s.value();
    const valueEnd = s.i;
    s.skipToLineEnd();
    s.skipNewline();
    out.push({ type: 'kv', path, keyStart, lineStart, valueStart, valueEnd, end: s.i });
  }
  return out;
}

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A key as TOML writes it: bare when it can be. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/**
 * `text` with the keys of the first table found among `tables` (header paths, e.g.
 * [["capsule","db"],["container","db"]]) set or removed. Throws when no such table has a
 * header of its own, or when a key is written as a sub-table, which a value cannot replace.
 */
export function editTomlTable(text: string, tables: readonly (readonly string[])[], edits: readonly KeyEdit[]): string {
  const statements = scan(text);
  const headerAt = statements.findIndex((st) => st.type === 'header' && !st.array && tables.some((t) => samePath(st.path, t)));
  if (headerAt === -1) throw new NovaError('not_found', `no [${tables[0]!.join('.')}] table header in the file to edit`);
  const header = statements[headerAt] as Header;
  const nextHeader = statements.findIndex((st, i) => i > headerAt && st.type === 'header');
  const body = statements.slice(headerAt + 1, nextHeader === -1 ? undefined : nextHeader) as KeyValue[];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const splices: { start: number; end: number; text: string }[] = [];
  const appended: string[] = [];
  const last = body.at(-1);
  const indent = last ? text.slice(last.lineStart, last.keyStart) : '';
  for (const edit of edits) {
    const sub = statements.find((st) => st.type === 'header' && samePath(st.path, [...header.path, edit.key]));
    if (sub) throw new NovaError('failed_precondition', `[${header.path.join('.')}.${edit.key}] is a table of its own; edit it in the file by hand`);
    const whole = body.filter((kv) => kv.path[0] === edit.key && kv.path.length === 1);
    const dotted = body.filter((kv) => kv.path[0] === edit.key && kv.path.length > 1);
    const line = (v: string) => `${tomlKey(edit.key)} = ${v}`;
    if (whole.length === 1 && dotted.length === 0) {
      const kv = whole[0]!;
      if (edit.value === null) splices.push({ start: kv.lineStart, end: kv.end, text: '' });
      else splices.push({ start: kv.valueStart, end: kv.valueEnd, text: edit.value });
      continue;
    }
    // Dotted keys (env.A = "1") become one key in the first one's place.
    const all = [...whole, ...dotted].sort((a, b) => a.lineStart - b.lineStart);
    all.forEach((kv, i) => {
      const replacement = i === 0 && edit.value !== null ? `${text.slice(kv.lineStart, kv.keyStart)}${line(edit.value)}${eol}` : '';
      splices.push({ start: kv.lineStart, end: kv.end, text: replacement });
    });
    if (all.length === 0 && edit.value !== null) appended.push(`${indent}${line(edit.value)}${eol}`);
  }
  if (appended.length > 0) {
    const at = last ? last.end : header.end;
    // A last line without its newline gets one before the keys that follow it.
    const lead = at === text.length && !text.endsWith('\n') ? eol : '';
    splices.push({ start: at, end: at, text: lead + appended.join('') });
  }
  splices.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const sp of splices) out = out.slice(0, sp.start) + sp.text + out.slice(sp.end);
  return out;
}
