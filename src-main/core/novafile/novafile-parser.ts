// Reads a NovaFile: TOML syntax (smol-toml), then the schema and the cross-table
// checks, and turns every problem into a diagnostic with file, line, column and
// dotted key (positions from toml-eslint-parser's syntax tree, novafile-positions.ts). Used by `nova validate`, the `novafile.validate` API and `nova up`.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import {
  NovaError,
  type NovaFileDiagnostic,
  type NovaFileSummary,
  type NovaFileValidation,
} from '../../../src-shared/index.js';
import { closestMatch } from './did-you-mean.js';
import { checkDependencies } from './novafile-dependencies.js';
import { buildNovaFileConfig, type NovaFileConfig } from './novafile-config.js';
import { findRedefinition, indexKeyPositions, type KeyPath, type KeyPositions } from './novafile-positions.js';
import { checkGuestHosts, type HostCheckOptions } from './novafile-hosts.js';
import { checkReferences, isTable, type NovaFileProblem } from './novafile-references.js';
import { kindsAccepting, knownKeysAt, NovaFileSchema, tableKindAt, type TableKind } from './novafile-schema.js';

export type {
  CapsuleConfig,
  CloudInitConfig,
  GpuPassthrough,
  NetworkConfig,
  NetworkProfile,
  NetworkType,
  NovaFileConfig,
  VmConfig,
} from './novafile-config.js';

/** The name `nova` looks for in a project's folder. */
export const NOVAFILE_NAME = 'NovaFile.toml';

export interface NovaFileParseResult {
  /** Null when any error was found. */
  config: NovaFileConfig | null;
  /** Sorted by line and column. */
  diagnostics: NovaFileDiagnostic[];
}

export interface NovaFileLoadResult extends NovaFileValidation {
  config: NovaFileConfig | null;
}

/**
 * Parses and validates NovaFile text. `fileName` is used in diagnostics as given;
 * relative paths in the file resolve from `baseDir` (default: the file's folder).
 */
export function parseNovaFile(text: string, fileName: string, baseDir?: string, hosts?: HostCheckOptions): NovaFileParseResult {
  const { config, diagnostics } = analyze(text, fileName, baseDir, hosts);
  return { config, diagnostics };
}

/** Every problem in the text, with a summary of what it declares (null if it is not TOML). */
export function validateNovaFile(text: string, fileName: string, hosts?: HostCheckOptions): NovaFileValidation {
  const { diagnostics, summary } = analyze(text, fileName, undefined, hosts);
  return { valid: !hasErrors(diagnostics), diagnostics, summary };
}

/**
 * Reads and validates a NovaFile from disk. A folder means the NovaFile.toml in it.
 * A missing file throws a `not_found` NovaError rather than becoming a diagnostic,
 * because there is no line to point at.
 */
export async function loadNovaFile(filePath: string, hosts?: HostCheckOptions): Promise<NovaFileLoadResult> {
  let target = filePath;
  try {
    if ((await stat(target)).isDirectory()) target = path.join(target, NOVAFILE_NAME);
  } catch (err) {
    throw readError(filePath, err);
  }
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (err) {
    throw readError(target, err);
  }
  const { config, diagnostics, summary } = analyze(text, target, undefined, hosts);
  return { valid: !hasErrors(diagnostics), diagnostics, summary, config };
}

function readError(filePath: string, err: unknown): NovaError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new NovaError(
      'not_found',
      `${filePath}: no such file; pass the path of a NovaFile, or run nova in the folder that holds ${NOVAFILE_NAME}`,
      { path: filePath },
    );
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new NovaError('invalid_argument', `${filePath}: cannot read the NovaFile (${reason})`, { path: filePath });
}

/** "NovaFile.toml:7:10: error: vm.win11.memory: ..." as compilers print it. */
export function formatNovaFileDiagnostic(d: NovaFileDiagnostic): string {
  const key = d.key ? `${d.key}: ` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${key}${d.message}`;
}

/** `vm.win11.memory`, `container.api.volumes[0]`, `vm."a/b"`. */
export function formatKeyPath(keyPath: KeyPath): string {
  let out = '';
  for (const segment of keyPath) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const written = /^[A-Za-z0-9_-]+$/.test(segment) ? segment : JSON.stringify(segment);
      out += out === '' ? written : `.${written}`;
    }
  }
  return out;
}

function hasErrors(diagnostics: readonly NovaFileDiagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

interface Analysis {
  config: NovaFileConfig | null;
  diagnostics: NovaFileDiagnostic[];
  summary: NovaFileSummary | null;
}

function analyze(source: string, fileName: string, baseDir?: string, hosts?: HostCheckOptions): Analysis {
  // Editors on some systems save a byte-order mark; it is not part of the first key.
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  let raw: Record<string, unknown>;
  try {
    raw = parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    return { config: null, diagnostics: [syntaxDiagnostic(err, text, fileName)], summary: null };
  }

  const positions = indexKeyPositions(text);
  const result = NovaFileSchema.safeParse(raw);
  const problems = [
    ...(result.success ? [] : result.error.issues.flatMap((issue) => schemaProblems(issue, raw))),
    ...checkReferences(raw, positions),
    ...checkDependencies(raw),
    ...checkGuestHosts(raw, hosts),
  ];
  const diagnostics = placeAll(problems, fileName, positions);
  const config =
    result.success && !hasErrors(diagnostics)
      ? buildNovaFileConfig(result.data, fileName, baseDir ?? path.dirname(path.resolve(fileName)))
      : null;
  return { config, diagnostics, summary: summarize(raw) };
}

// ---------------------------------------------------------------------------------
// Syntax errors

function syntaxDiagnostic(err: TomlError, text: string, file: string): NovaFileDiagnostic {
  const line = Math.max(1, err.line);
  const column = Math.max(1, err.column);
  const reason = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
  const base = { severity: 'error' as const, file, line, column };

  if (reason.startsWith('trying to redefine')) {
    const duplicate = findRedefinition(text);
    if (duplicate) {
      const { path: again, first } = duplicate;
      const what = duplicate.again === 'table' && first.kind === 'table' ? `table [${formatKeyPath(again)}]` : `"${formatKeyPath(again)}"`;
      return {
        ...base,
        key: formatKeyPath(again),
        message: `${what} is already defined at line ${first.key.line}; a key or table may be defined only once`,
      };
    }
    return { ...base, message: 'this redefines a key or table defined earlier; a key or table may be defined only once' };
  }
  return { ...base, message: explainSyntax(reason, text, line, column) };
}

function explainSyntax(reason: string, text: string, line: number, column: number): string {
  const lineText = text.split('\n')[line - 1] ?? '';
  const atLineEnd = column > lineText.replace(/\r$/, '').length;
  if (reason === 'unfinished string' || (reason.includes('control characters') && atLineEnd)) {
    return 'this string is not closed; add the closing quote (use """ for a string over several lines)';
  }
  if (reason === 'invalid value') {
    return 'a value is missing or malformed here; text needs quotes (type = "bridge"), lists use [ ], tables { }';
  }
  if (reason.startsWith('expected comma or end of structure')) {
    return 'expected "," or the end of the list "]" or inline table "}" here';
  }
  if (reason === 'illegal character in key') {
    return 'this is not a valid key; keys are letters, digits, "_" and "-" (quote anything else: "my key" = 1), followed by "=" and a value';
  }
  return `invalid TOML: ${reason}`;
}

// ---------------------------------------------------------------------------------
// Schema problems

type Issue = z.core.$ZodIssue;

function schemaProblems(issue: Issue, raw: unknown): NovaFileProblem[] {
  const issuePath = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issuePath, key], at: 'key', message: unknownKeyMessage(issuePath, key) }));
  }
  if (issue.code === 'invalid_key') {
    // A record key's own problems; the issue's path already ends at the key.
    return issue.issues.flatMap((inner) =>
      schemaProblems({ ...inner, path: [...issuePath, ...inner.path] }, raw).map((p) => ({ ...p, at: 'key' as const })),
    );
  }
  const atKey = issue.code === 'custom' && isRecord(issue.params) && issue.params.at === 'key';
  const at = atKey ? 'key' : valueAt(raw, issuePath) === undefined ? 'missing' : 'value';
  return [{ path: issuePath, at, message: issue.message }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function valueAt(raw: unknown, keyPath: KeyPath): unknown {
  let current: unknown = raw;
  for (const segment of keyPath) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isTable(current) && typeof segment === 'string' && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

const KIND_NAMES: Record<TableKind, string> = {
  top: 'the top level',
  vm: 'a VM',
  capsule: 'a capsule',
  network: 'a network',
  cloud_init: 'cloud_init',
  vm_health: "a VM's health check",
  vm_disk: "a VM's [[vm.NAME.disk]]",
  capsule_health: "a capsule's health check",
  snapshots: 'snapshots',
  assets: 'assets',
};

function unknownKeyMessage(parent: KeyPath, key: string): string {
  const valid = knownKeysAt(parent) ?? [];
  const suggestion = closestMatch(key, valid);
  if (suggestion) return `unknown key "${key}"; did you mean "${suggestion}"?`;
  const here = tableKindAt(parent);
  const elsewhere = kindsAccepting(key).filter((kind) => kind !== here);
  const where = here ? KIND_NAMES[here] : `[${formatKeyPath(parent)}]`;
  const hint = elsewhere.length > 0 ? ` ("${key}" belongs in ${elsewhere.map((k) => KIND_NAMES[k]).join(' or ')})` : '';
  return `unknown key "${key}" in ${where}${hint}; valid keys are ${valid.join(', ')}`;
}

// ---------------------------------------------------------------------------------
// Positions

function placeAll(problems: readonly NovaFileProblem[], file: string, positions: KeyPositions): NovaFileDiagnostic[] {
  const seen = new Set<string>();
  const diagnostics: NovaFileDiagnostic[] = [];
  for (const problem of problems) {
    const { line, column } = place(problem, positions);
    const key = formatKeyPath(problem.path);
    const diagnostic: NovaFileDiagnostic = { severity: problem.severity ?? 'error', file, line, column, message: problem.message };
    if (key !== '') diagnostic.key = key;
    const id = `${line}:${column}:${key}:${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    diagnostics.push(diagnostic);
  }
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** A wrong value at the value, an unknown key at the key, a missing key at its table's header. */
function place(problem: NovaFileProblem, positions: KeyPositions): { line: number; column: number } {
  if (problem.at === 'missing') return positions.closest(problem.path.slice(0, -1)).location.value;
  const exact = positions.find(problem.path);
  if (exact) return problem.at === 'key' ? exact.key : exact.value;
  return positions.closest(problem.path).location.value;
}

function summarize(raw: Record<string, unknown>): NovaFileSummary {
  const names = (value: unknown) => (isTable(value) ? Object.keys(value) : []);
  return {
    project: typeof raw.project === 'string' ? raw.project : null,
    vms: names(raw.vm),
    capsules: [...names(raw.container), ...names(raw.capsule).filter((n) => !names(raw.container).includes(n))],
    networks: names(raw.network),
  };
}
