// Where each key of a TOML document is written (line and column of the key and of its
// value), because smol-toml returns plain values without positions and every NovaFile
// diagnostic must point at a line. toml-eslint-parser (ESLint's TOML parser, maintained
// with eslint-plugin-toml) gives the syntax tree with locations; this module only indexes it.
import { parseTOML, ParseError, type AST } from 'toml-eslint-parser';

export type KeySegment = string | number;
export type KeyPath = readonly KeySegment[];

/** 1-based; columns count UTF-16 code units, like smol-toml and editors do. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * How a key came to exist: `value` (key = value, or an array element), `table`
 * ([a.b], or an element of an [[array]]), or `implicit` (a parent created by a dotted
 * key or header, as `a` in `a.b = 1` or in [a.b]).
 */
export type KeyKind = 'value' | 'table' | 'implicit';

export interface KeyLocation {
  /** The key itself; for [a.b] the segment "b" inside the header. */
  key: SourcePosition;
  /** The value's first character; for a [table] header its "[". */
  value: SourcePosition;
  kind: KeyKind;
}

export interface KeyPositions {
  /** The first place `path` is written, or undefined when it is not written anywhere. */
  find(path: KeyPath): KeyLocation | undefined;
  /** `path` itself or its nearest written ancestor (the document root at worst). */
  closest(path: KeyPath): { path: KeyPath; location: KeyLocation };
}

const ROOT: KeyLocation = { key: { line: 1, column: 1 }, value: { line: 1, column: 1 }, kind: 'table' };

/**
 * Every key's position. Text that is not TOML has none but the root (its syntax error is
 * the diagnostic then); the function never throws.
 */
export function indexKeyPositions(source: string): KeyPositions {
  const entries = new Map<string, KeyLocation>();
  const ast = parseOrNull(source);
  if (ast) new PositionIndex(entries).program(ast);
  return {
    find: (path) => (path.length === 0 ? ROOT : entries.get(pathId(path))),
    closest(path) {
      for (let n = path.length; n > 0; n--) {
        const prefix = path.slice(0, n);
        const location = entries.get(pathId(prefix));
        if (location) return { path: prefix, location };
      }
      return { path: [], location: ROOT };
    },
  };
}

export interface Redefinition {
  /** The key or table written a second time. */
  path: KeyPath;
  /** Whether the second definition is a [table] header. */
  again: 'table' | 'key';
  /** Where it was first defined. */
  first: KeyLocation;
}

/**
 * For a document that defines a key twice: which key, and where its first definition
 * is. The text before the repeating line is parsed on its own to find the first one;
 * undefined when the repeat sits inside an inline table or the text has other problems.
 */
export function findRedefinition(source: string): Redefinition | undefined {
  const error = parseError(source);
  if (!error || !error.message.startsWith('Defining a key multiple times')) return undefined;
  const lineStart = source.lastIndexOf('\n', error.index - 1) + 1;
  const lineEnd = source.indexOf('\n', error.index);
  const before = parseOrNull(source.slice(0, lineStart));
  const statement = parseOrNull(source.slice(lineStart, lineEnd < 0 ? source.length : lineEnd));
  const repeated = statement?.body[0].body[0];
  if (!before || !repeated) return undefined;
  const earlier = indexKeyPositions(source.slice(0, lineStart));
  const names = repeated.key.keys.map(keyName);
  let path: KeySegment[];
  if (repeated.type === 'TOMLTable') {
    path = names;
  } else {
    // A key = value line belongs to the last table header above it.
    const tables = before.body[0].body.filter((n): n is AST.TOMLTable => n.type === 'TOMLTable');
    path = [...(tables[tables.length - 1]?.resolvedKey ?? []), ...names];
  }
  const first = earlier.find(path);
  return first ? { path, again: repeated.type === 'TOMLTable' ? 'table' : 'key', first } : undefined;
}

function parseOrNull(source: string): AST.TOMLProgram | null {
  try {
    return parseTOML(source, { tomlVersion: 'latest' });
  } catch {
    return null;
  }
}

function parseError(source: string): ParseError | null {
  try {
    parseTOML(source, { tomlVersion: 'latest' });
    return null;
  } catch (err) {
    return err instanceof ParseError ? err : null;
  }
}

function pathId(path: KeyPath): string {
  return JSON.stringify(path);
}

function keyName(key: AST.TOMLBare | AST.TOMLQuoted): string {
  return key.type === 'TOMLBare' ? key.name : key.value;
}

/** ESLint locations are 1-based lines and 0-based columns. */
function position(node: AST.HasLocs): SourcePosition {
  return { line: node.loc.start.line, column: node.loc.start.column + 1 };
}

class PositionIndex {
  constructor(private readonly entries: Map<string, KeyLocation>) {}

  program(ast: AST.TOMLProgram): void {
    for (const node of ast.body[0].body) {
      if (node.type === 'TOMLTable') this.table(node);
      else this.keyValue(node, []);
    }
  }

  private define(path: KeyPath, key: AST.HasLocs, value: AST.HasLocs, kind: KeyKind): void {
    const id = pathId(path);
    if (!this.entries.has(id)) this.entries.set(id, { key: position(key), value: position(value), kind });
  }

  /**
   * [a.b] or [[a.b]]. The parser's resolved key carries the array indices ([x.y.z] after
   * [[x.y]] is x.y.<latest>.z); each written segment is placed where it is written.
   */
  private table(node: AST.TOMLTable): void {
    const segments = node.key.keys;
    const path: KeySegment[] = [];
    let next = 0;
    for (const [i, part] of node.resolvedKey.entries()) {
      path.push(part);
      if (typeof part === 'number') continue;
      const segment = segments[next++];
      if (!segment) break;
      const last = next === segments.length;
      const arrayElement = last && typeof node.resolvedKey[i + 1] === 'number';
      this.define(path, segment, node, last && !arrayElement ? 'table' : 'implicit');
      if (arrayElement) this.define([...path, node.resolvedKey[i + 1] as number], segment, node, 'table');
    }
    for (const kv of node.body) this.keyValue(kv, node.resolvedKey);
  }

  /** `a.b = value` under `base`. */
  private keyValue(node: AST.TOMLKeyValue, base: KeyPath): void {
    const path: KeySegment[] = [...base];
    const segments = node.key.keys;
    segments.forEach((segment, i) => {
      path.push(keyName(segment));
      if (i < segments.length - 1) this.define(path, segment, segment, 'implicit');
      else this.define(path, segment, node.value, 'value');
    });
    this.value(node.value, path);
  }

  private value(node: AST.TOMLContentNode, path: KeyPath): void {
    if (node.type === 'TOMLArray') {
      node.elements.forEach((element, index) => {
        const elementPath = [...path, index];
        this.define(elementPath, element, element, 'value');
        this.value(element, elementPath);
      });
    } else if (node.type === 'TOMLInlineTable') {
      for (const kv of node.body) this.keyValue(kv, path);
    }
  }
}
