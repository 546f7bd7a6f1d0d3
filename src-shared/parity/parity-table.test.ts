// The parity table against the code: every `nova` command and every method has its row,
// every row says where its UI is or why there is none, and every control it names is
// carried by some renderer file. A capability added to one surface fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src-main/cli/cli-program.js';
import { METHOD_NAME_PATTERN } from '../api/define.js';
import { METHOD_NAMES } from '../api/nova-api.js';
import { CLI_PARITY, METHOD_PARITY, type ParityEntry } from './parity-table.js';

const RENDERER = resolve(import.meta.dirname, '../../src-renderer/src');

function cliLeaves(): string[] {
  const leaves: string[] = [];
  const walk = (cmd: Command, words: string[]) => {
    if (cmd.commands.length === 0) leaves.push(words.join(' '));
    for (const sub of cmd.commands) walk(sub, [...words, sub.name()]);
  };
  for (const top of buildProgram({ stdout: () => undefined, stderr: () => undefined }).commands) walk(top, [top.name()]);
  return leaves;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/**
 * The data-method tokens the renderer carries: written out (`data-method="a b"`), or,
 * in a file that computes the attribute (`data-method={...}`), every method name it
 * spells as a string.
 */
function rendererMethods(): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(RENDERER)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/data-method="([^"]*)"/g)) for (const t of m[1]!.split(/\s+/)) if (t) found.add(t);
    // Components that put the attribute on their own control take it as a prop.
    for (const m of text.matchAll(/\b(?:method|confirmMethod)="([a-zA-Z]+\.[a-zA-Z]+)"/g)) found.add(m[1]!);
    if (!text.includes('data-method={')) continue;
    for (const m of text.matchAll(/'([a-zA-Z.]+)'/g)) if (METHOD_NAME_PATTERN.test(m[1]!)) found.add(m[1]!);
  }
  return found;
}

/** What is wrong with one row, or null: one kind of answer, and a reason in words. */
function rowProblem(name: string, e: ParityEntry, isMethod: boolean): string | null {
  const kinds = (['ui', 'oneSurface', 'internal'] as const).filter((k) => k in e);
  if (kinds.length !== 1) return `${name}: give exactly one of ui, oneSurface, internal`;
  if ('internal' in e && !isMethod) return `${name}: only a method can be internal`;
  const reason = 'oneSurface' in e ? e.oneSurface : 'internal' in e ? e.internal : null;
  if (reason !== null && reason.trim().split(/\s+/).length < 3) return `${name}: say in a line why (got ${JSON.stringify(reason)})`;
  return null;
}

const allEntries = (): Array<[string, ParityEntry]> => [...Object.entries(CLI_PARITY), ...Object.entries(METHOD_PARITY)];

describe('the parity table', () => {
  const leaves = cliLeaves();

  it('has a row for every nova command', () => {
    expect(leaves.length).toBeGreaterThan(50);
    expect(leaves.filter((c) => !(c in CLI_PARITY))).toEqual([]);
  });

  it('has a row for every method, internal ones with the reason they are not user-callable', () => {
    expect(METHOD_NAMES.filter((m) => !(m in METHOD_PARITY))).toEqual([]);
  });

  it('names no command or method that does not exist', () => {
    const unknown = [
      ...Object.keys(CLI_PARITY).filter((c) => !leaves.includes(c)),
      ...Object.keys(METHOD_PARITY).filter((m) => !(METHOD_NAMES as readonly string[]).includes(m)),
    ];
    expect(unknown).toEqual([]);
  });

  it('gives every row one answer, and a reason in words where there is no UI', () => {
    const problems = [
      ...Object.entries(CLI_PARITY).map(([n, e]) => rowProblem(n, e, false)),
      ...Object.entries(METHOD_PARITY).map(([n, e]) => rowProblem(n, e, true)),
    ].filter((p) => p !== null);
    expect(problems).toEqual([]);
  });

  it('points every UI row at a control some renderer file carries as data-method', () => {
    const carried = rendererMethods();
    const named = new Set(allEntries().flatMap(([, e]) => ('ui' in e ? [e.ui.method] : [])));
    const notMethods = [...named].filter((m) => !(METHOD_NAMES as readonly string[]).includes(m));
    expect(notMethods).toEqual([]);
    expect([...named].filter((m) => !carried.has(m))).toEqual([]);
  });

  it('finds a control the renderer does not carry, and a command without a row (the checks can fail)', () => {
    const carried = rendererMethods();
    expect(carried.has('vm.start')).toBe(true);
    expect(carried.has('vm.frobnicate')).toBe(false);
    expect(rowProblem('x', { oneSurface: '' }, false)).toMatch(/why/);
    expect(rowProblem('x', { internal: 'a plumbing call here' }, false)).toMatch(/only a method/);
    expect(leaves).toContain('vm start');
  });
});
