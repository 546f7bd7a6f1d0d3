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

/**
 * Controls built on other branches this session, whose `data-method` is not in this
 * branch's renderer yet. Emptied when those branches merge: a token listed here that the
 * renderer already carries fails the test, so the list only shrinks.
 */
const PENDING_UI: Readonly<Record<string, string>> = {
  // Capsule pages (create dialog, settings, actions, terminal, logs, snapshots): the capsule UI work.
  'capsule.get': 'capsule pages',
  'capsule.create': 'capsule pages',
  'capsule.update': 'capsule pages',
  'capsule.start': 'capsule pages',
  'capsule.stop': 'capsule pages',
  'capsule.restart': 'capsule pages',
  'capsule.pause': 'capsule pages',
  'capsule.resume': 'capsule pages',
  'capsule.delete': 'capsule pages',
  'capsule.logs': 'capsule pages',
  'capsule.terminalOpen': 'capsule pages',
  'capsule.snapshotCreate': 'capsule pages',
  'capsule.snapshotList': 'capsule pages',
  'capsule.snapshotRestore': 'capsule pages',
  'capsule.snapshotDelete': 'capsule pages',
  // Networks pages and network edit: the network UI work.
  'network.list': 'networks pages',
  'network.get': 'networks pages',
  'network.create': 'networks pages',
  'network.delete': 'networks pages',
  'network.setPeers': 'networks pages',
  'network.forwardAdd': 'networks pages',
  'network.forwardRemove': 'networks pages',
  'network.forwardList': 'networks pages',
  'network.update': 'network edit',
  // The VM Snapshots tab (with its include-memory choice): tagged by the network UI work, which owns that panel.
  'vm.snapshotCreate': 'VM snapshots tab',
  'vm.snapshotList': 'VM snapshots tab',
  'vm.snapshotRestore': 'VM snapshots tab',
  'vm.snapshotDelete': 'VM snapshots tab',
  // The Images page's new flows, the image picker and clone/template: the images work.
  'ociImage.pull': 'Images page pull',
  'ociImage.import': 'Images page import',
  'ociImage.inspect': 'Images page details',
  'image.detectOs': 'image picker in the VM wizard',
  'vm.clone': 'Clone button',
  'vm.setTemplate': 'Make template button',
  // The Devices page, replacing its "soon" placeholder: the devices work.
  'device.list': 'Devices page',
  'device.get': 'Devices page',
  'device.check': 'Devices page',
  'device.bindingList': 'Devices page',
  'device.bind': 'Devices page',
  'device.restore': 'Devices page',
  // Suspend to disk: the shares/suspend work.
  'vm.suspend': 'Suspend action',
};

/**
 * Commands and methods other branches add this session, named as their work describes
 * them; the table has their rows already. Emptied at merge: a name listed here that
 * exists fails the test, and a row whose name exists nowhere (a guess that came out
 * differently) fails too once it is no longer listed.
 */
const PENDING_CAPABILITIES: readonly string[] = [
  'vm template',
  'vm suspend',
  'vm share add',
  'vm share rm',
  'vm share ls',
  'vm showcmd',
  'device prepare',
  'device release',
  'net set',
  'network.update',
  'vm.suspend',
  'vm.showCommand',
];

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
    if (!text.includes('data-method={')) continue;
    for (const m of text.matchAll(/'([a-zA-Z.]+)'/g)) if (METHOD_NAME_PATTERN.test(m[1]!)) found.add(m[1]!);
  }
  return found;
}

/** What is wrong with one row, or null: one kind of answer, and a reason in words. */
function rowProblem(name: string, e: ParityEntry, isMethod: boolean): string | null {
  const kinds = (['ui', 'oneSurface', 'internal', 'gap'] as const).filter((k) => k in e);
  if (kinds.length !== 1) return `${name}: give exactly one of ui, oneSurface, internal, gap`;
  if ('internal' in e && !isMethod) return `${name}: only a method can be internal`;
  const reason = 'oneSurface' in e ? e.oneSurface : 'internal' in e ? e.internal : 'gap' in e ? e.gap : null;
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

  it('names no command or method that does not exist, except those other branches bring', () => {
    const unknown = [
      ...Object.keys(CLI_PARITY).filter((c) => !leaves.includes(c)),
      ...Object.keys(METHOD_PARITY).filter((m) => !(METHOD_NAMES as readonly string[]).includes(m)),
    ];
    expect(unknown.filter((n) => !PENDING_CAPABILITIES.includes(n))).toEqual([]);
    // Once a pending capability exists, it leaves the list.
    expect(PENDING_CAPABILITIES.filter((n) => leaves.includes(n) || (METHOD_NAMES as readonly string[]).includes(n))).toEqual([]);
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
    const notMethods = [...named].filter((m) => !(METHOD_NAMES as readonly string[]).includes(m) && !PENDING_CAPABILITIES.includes(m));
    expect(notMethods).toEqual([]);
    expect([...named].filter((m) => !carried.has(m) && !(m in PENDING_UI))).toEqual([]);
    // A control that has arrived leaves the pending list.
    expect(Object.keys(PENDING_UI).filter((m) => carried.has(m))).toEqual([]);
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
