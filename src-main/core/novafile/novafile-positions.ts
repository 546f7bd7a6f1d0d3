// Where each key of a TOML document is written (line and column of the key and of
// its value), because smol-toml returns plain values without positions and every
// NovaFile diagnostic must point at a line. A forgiving scanner, not a parser: it
// never throws, and on text smol-toml rejects it still indexes what it can.

export type KeySegment = string | number;
export type KeyPath = readonly KeySegment[];

/** 1-based; columns count UTF-16 code units, like smol-toml and editors do. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * How a key came to exist: `value` (key = value, or an array element), `table`
 * ([a.b] or an inline table's element of an [[array]]), or `implicit` (a parent
 * created by a dotted key or header, as `a` in `a.b = 1` or in [a.b]).
 */
export type KeyKind = 'value' | 'table' | 'implicit';

export interface KeyLocation {
  /** The key itself; for [a.b] the segment "b" inside the header. */
  key: SourcePosition;
  /** The value's first character; for a [table] header its "[". */
  value: SourcePosition;
  kind: KeyKind;
}

export interface KeyOccurrence extends KeyLocation {
  path: KeyPath;
}

export interface KeyPositions {
  /** The first place `path` is written, or undefined when it is not written anywhere. */
  find(path: KeyPath): KeyLocation | undefined;
  /** `path` itself or its nearest written ancestor (the document root at worst). */
  closest(path: KeyPath): { path: KeyPath; location: KeyLocation };
  /** Every definition in source order, repeats included (to explain duplicates). */
  readonly occurrences: readonly KeyOccurrence[];
}

interface Segment {
  name: string;
  offset: number;
}

const ROOT: KeyLocation = { key: { line: 1, column: 1 }, value: { line: 1, column: 1 }, kind: 'table' };

export function indexKeyPositions(source: string): KeyPositions {
  const scanner = new PositionScanner(source);
  scanner.run();
  const entries = scanner.entries;
  const find = (path: KeyPath): KeyLocation | undefined =>
    path.length === 0 ? ROOT : entries.get(pathId(path));
  return {
    find,
    closest(path) {
      for (let n = path.length; n > 0; n--) {
        const prefix = path.slice(0, n);
        const location = entries.get(pathId(prefix));
        if (location) return { path: prefix, location };
      }
      return { path: [], location: ROOT };
    },
    occurrences: scanner.occurrences,
  };
}

function pathId(path: KeyPath): string {
  return JSON.stringify(path);
}

const BARE_KEY_STOP = new Set([' ', '\t', '\r', '\n', '=', '.', '[', ']', '"', "'", '#', ',', '{', '}']);
const BARE_VALUE_STOP = new Set([',', ']', '}', '#', '\r', '\n']);

class PositionScanner {
  readonly entries = new Map<string, KeyLocation>();
  readonly occurrences: KeyOccurrence[] = [];
  private i = 0;
  private table: KeySegment[] = [];
  /** How many [[x]] elements each array of tables has so far. */
  private readonly arrayTables = new Map<string, number>();
  private readonly lineStarts: number[] = [0];

  constructor(private readonly src: string) {
    for (let k = 0; k < src.length; k++) if (src[k] === '\n') this.lineStarts.push(k + 1);
  }

  run(): void {
    while (this.i < this.src.length) {
      this.skipBlank(true);
      if (this.i >= this.src.length) break;
      const before = this.i;
      if (this.src[this.i] === '[') this.header();
      else this.keyValue(this.table);
      this.finishLine();
      if (this.i === before) this.i++; // junk the scanner cannot read: move on regardless
    }
  }

  private position(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.lineStarts[lo] ?? 0) + 1 };
  }

  private define(path: KeyPath, keyOffset: number, valueOffset: number, kind: KeyKind): void {
    const location: KeyLocation = { key: this.position(keyOffset), value: this.position(valueOffset), kind };
    const id = pathId(path);
    if (!this.entries.has(id)) this.entries.set(id, location);
    this.occurrences.push({ path: [...path], ...location });
  }

  /** [a.b] or [[a.b]]; later keys go under the resolved path. */
  private header(): void {
    const start = this.i;
    const isArray = this.src[this.i + 1] === '[';
    this.i += isArray ? 2 : 1;
    const segments = this.readKey();
    if (segments.length === 0) return;
    this.skipSpaces();
    if (this.src[this.i] === ']') this.i++;
    if (isArray && this.src[this.i] === ']') this.i++;
    const path: KeySegment[] = [];
    segments.forEach((segment, n) => {
      path.push(segment.name);
      const last = n === segments.length - 1;
      if (last && isArray) {
        const id = pathId(path);
        const count = this.arrayTables.get(id) ?? 0;
        this.arrayTables.set(id, count + 1);
        this.define(path, segment.offset, start, 'implicit');
        path.push(count);
        this.define(path, segment.offset, start, 'table');
        return;
      }
      this.define(path, segment.offset, start, last ? 'table' : 'implicit');
      // A header through an array of tables ([[x]] then [x.y]) means its latest element.
      const count = this.arrayTables.get(pathId(path));
      if (!last && count !== undefined) path.push(count - 1);
    });
    this.table = path;
  }

  /** `a.b = value` under `base`; returns false when there is no key here. */
  private keyValue(base: KeyPath): boolean {
    const segments = this.readKey();
    const last = segments[segments.length - 1];
    if (!last) return false;
    const path: KeySegment[] = [...base];
    for (const segment of segments.slice(0, -1)) {
      path.push(segment.name);
      this.define(path, segment.offset, segment.offset, 'implicit');
    }
    path.push(last.name);
    this.skipSpaces();
    if (this.src[this.i] !== '=') return false;
    this.i++;
    this.skipSpaces();
    this.define(path, last.offset, this.i, 'value');
    this.value(path);
    return true;
  }

  private value(path: KeyPath): void {
    const c = this.src[this.i];
    if (c === '"' || c === "'") {
      const triple = c.repeat(3);
      if (this.src.startsWith(triple, this.i)) this.skipMultilineString(triple);
      else this.readString();
    } else if (c === '[') {
      this.array(path);
    } else if (c === '{') {
      this.inlineTable(path);
    } else {
      while (this.i < this.src.length && !BARE_VALUE_STOP.has(this.src[this.i] ?? '')) this.i++;
    }
  }

  private array(path: KeyPath): void {
    this.i++; // "["
    let index = 0;
    while (this.i < this.src.length) {
      this.skipBlank(true);
      const c = this.src[this.i];
      if (c === undefined) return;
      if (c === ']') {
        this.i++;
        return;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      const before = this.i;
      const element = [...path, index++];
      this.define(element, this.i, this.i, 'value');
      this.value(element);
      if (this.i === before) return; // not a value: leave the rest of the line to finishLine
    }
  }

  private inlineTable(path: KeyPath): void {
    this.i++; // "{"
    while (this.i < this.src.length) {
      this.skipBlank(true);
      const c = this.src[this.i];
      if (c === undefined) return;
      if (c === '}') {
        this.i++;
        return;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      if (!this.keyValue(path)) return;
    }
  }

  /** A dotted key: bare, "basic" or 'literal' segments with optional spaces around dots. */
  private readKey(): Segment[] {
    const segments: Segment[] = [];
    for (;;) {
      this.skipSpaces();
      const offset = this.i;
      const c = this.src[this.i];
      let name: string | null;
      if (c === '"' || c === "'") {
        name = this.readString();
      } else {
        while (this.i < this.src.length && !BARE_KEY_STOP.has(this.src[this.i] ?? '')) this.i++;
        name = this.i > offset ? this.src.slice(offset, this.i) : null;
      }
      if (name === null) return segments;
      segments.push({ name, offset });
      this.skipSpaces();
      if (this.src[this.i] !== '.') return segments;
      this.i++;
    }
  }

  /** A single-line string at this.i; returns its decoded text, or null when unterminated. */
  private readString(): string | null {
    const quote = this.src[this.i];
    this.i++;
    let text = '';
    while (this.i < this.src.length) {
      const c = this.src[this.i] ?? '';
      if (c === '\n') return null;
      if (c === quote) {
        this.i++;
        return text;
      }
      if (c === '\\' && quote === '"') {
        const escape = this.readEscape();
        text += escape;
        continue;
      }
      text += c;
      this.i++;
    }
    return null;
  }

  private readEscape(): string {
    const kind = this.src[this.i + 1] ?? '';
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' };
    const digits = kind === 'u' ? 4 : kind === 'U' ? 8 : kind === 'x' ? 2 : 0;
    if (digits > 0) {
      const hex = this.src.slice(this.i + 2, this.i + 2 + digits);
      this.i += 2 + digits;
      const code = /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : NaN;
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    this.i += 2;
    return simple[kind] ?? kind;
  }

  private skipMultilineString(delimiter: string): void {
    this.i += 3;
    while (this.i < this.src.length) {
      if (delimiter === '"""' && this.src[this.i] === '\\') {
        this.i += 2;
        continue;
      }
      if (this.src.startsWith(delimiter, this.i)) {
        this.i += 3;
        // Up to two quotes may sit right before the closing delimiter: """a""""
        for (let extra = 0; extra < 2 && this.src[this.i] === delimiter[0]; extra++) this.i++;
        return;
      }
      this.i++;
    }
  }

  private skipSpaces(): void {
    while (this.src[this.i] === ' ' || this.src[this.i] === '\t') this.i++;
  }

  /** Spaces, comments and (when allowed) line breaks. */
  private skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.src[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n') || c === '\uFEFF') this.i++;
      else if (c === '#') while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
      else return;
    }
  }

  /** After a statement only a comment may follow; skip anything else to the line's end. */
  private finishLine(): void {
    while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
    if (this.i < this.src.length) this.i++;
  }
}
