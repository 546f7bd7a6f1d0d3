// The written-out polkit matrix (helper/system-tests/fixtures/polkit-matrix.txt) is what
// the contract, the policy and the group rule say together: a change to any of them
// fails here until the table, which a reviewer reads, changes with it.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_POLKIT_ACTIONS } from './actions.js';
import { HELPER_METHOD_NAMES, novaApi } from './api/nova-api.js';

const REPO = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

interface MatrixRow {
  method: string;
  action: string;
  root: string;
  member: string;
  desk: string;
  nobody: string;
}

function writtenTable(): MatrixRow[] {
  return read('helper/system-tests/fixtures/polkit-matrix.txt')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const [method = '', action = '', root = '', member = '', desk = '', nobody = ''] = l.trim().split(/\s+/);
      return { method, action, root, member, desk, nobody };
    });
}

/** The answer polkit's defaults give for one `allow_*` value, without an agent: only "yes" passes. */
const passes = (value: string | undefined) => (value === 'yes' ? 'allow' : 'deny');

function derivedTable(): MatrixRow[] {
  const policy = read('resources/org.nova.policy');
  const rules = read('resources/50-nova.rules');
  const groupActions = [...(/NOVA_GROUP_ACTIONS = \[([^\]]*)\]/.exec(rules)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  const defaults = (action: string, key: string) => {
    const block = policy.split(`<action id="${action}">`)[1]?.split('</action>')[0] ?? '';
    return new RegExp(`<${key}>([^<]+)</${key}>`).exec(block)?.[1];
  };
  return HELPER_METHOD_NAMES.map((method) => {
    const action = (novaApi[method].served as { action: string }).action;
    return {
      method,
      action,
      root: 'allow',
      member: groupActions.includes(action) ? 'allow' : passes(defaults(action, 'allow_any')),
      desk: passes(defaults(action, 'allow_active')),
      nobody: passes(defaults(action, 'allow_any')),
    };
  }).sort((a, b) => a.method.localeCompare(b.method));
}

describe('the written-out polkit matrix', () => {
  it('is what the contract, the policy and the nova group rule say', () => {
    expect(writtenTable()).toEqual(derivedTable());
  });

  it('names only actions the contract declares, and every helper method once', () => {
    const table = writtenTable();
    expect(table.map((r) => r.method)).toEqual([...HELPER_METHOD_NAMES].sort((a, b) => a.localeCompare(b)));
    for (const r of table) expect(ALL_POLKIT_ACTIONS).toContain(r.action);
  });
});
