// The installable files are checked with the same validators distributions use.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN_ONLY_ACTIONS, ALL_POLKIT_ACTIONS, NOVA_GROUP, VIEW_ACTIONS } from '../src-shared/actions.js';

const here = import.meta.dirname;
const policy = readFileSync(join(here, 'org.nova.policy'), 'utf8');

function declaredActions(): string[] {
  return [...policy.matchAll(/<action id="([^"]+)">/g)].map((m) => m[1]!);
}

/** The helper start is pkexec's action, not a method's: the one policy entry the contract does not name. */
const PKEXEC_ACTION = 'org.nova.helper.start';

function defaultsOf(action: string, which: 'allow_any' | 'allow_inactive' | 'allow_active' = 'allow_active'): string {
  const block = policy.split(`<action id="${action}">`)[1]?.split('</action>')[0] ?? '';
  return new RegExp(`<${which}>([^<]+)</${which}>`).exec(block)?.[1] ?? '';
}

describe('polkit policy', () => {
  it('declares exactly the actions the contract uses, and the helper start', () => {
    expect([...declaredActions()].sort()).toEqual([...ALL_POLKIT_ACTIONS, PKEXEC_ACTION].sort());
  });

  it('lets the active session view, needs an admin for changes and asks every time for passthrough', () => {
    for (const action of ALL_POLKIT_ACTIONS) {
      const want = VIEW_ACTIONS.includes(action) ? 'yes' : ADMIN_ONLY_ACTIONS.includes(action) ? 'auth_admin' : 'auth_admin_keep';
      expect({ action, active: defaultsOf(action) }).toEqual({ action, active: want });
    }
    expect(defaultsOf('org.nova.vm.view')).toBe('yes');
    expect(defaultsOf('org.nova.vm.manage')).toBe('auth_admin_keep');
    expect(defaultsOf('org.nova.device.passthrough')).toBe('auth_admin');
  });

  it('gives nothing by default outside the active local session (SSH, services, inactive seats)', () => {
    for (const action of [...ALL_POLKIT_ACTIONS, PKEXEC_ACTION]) {
      expect({ action, any: defaultsOf(action, 'allow_any'), inactive: defaultsOf(action, 'allow_inactive') }).toEqual({ action, any: 'no', inactive: 'no' });
    }
  });

  it('is valid against polkit\'s DTD', () => {
    const r = spawnSync('xmllint', ['--noout', '--nonet', '--dtdvalid', '/usr/share/polkit-1/policyconfig-1.dtd', join(here, 'org.nova.policy')], { encoding: 'utf8' });
    expect(r.error, 'xmllint missing: run .ci/bootstrap').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

type Rule = (action: { id: string }, subject: { user: string; isInGroup: (group: string) => boolean }) => unknown;

/** Loads 50-nova.rules as polkitd does: plain JavaScript calling polkit.addRule. */
function loadRules(source = readFileSync(join(here, '50-nova.rules'), 'utf8')): Rule[] {
  const rules: Rule[] = [];
  const Result = { NO: 'no', YES: 'yes', AUTH_SELF: 'auth_self', AUTH_SELF_KEEP: 'auth_self_keep', AUTH_ADMIN: 'auth_admin', AUTH_ADMIN_KEEP: 'auth_admin_keep', NOT_HANDLED: null };
  const polkit = { Result, addRule: (rule: Rule) => rules.push(rule), addAdminRule: () => undefined, log: () => undefined };
  new Function('polkit', source)(polkit);
  return rules;
}

/** What polkitd would conclude from the rules alone: the first answer that is not "not handled". */
function decide(rules: Rule[], action: string, groups: string[]): unknown {
  const subject = { user: 'nv13a-user', isInGroup: (g: string) => groups.includes(g) };
  for (const rule of rules) {
    const r = rule({ id: action }, subject);
    if (r !== null && r !== undefined) return r;
  }
  return null;
}

describe('the nova group rules file', () => {
  const rules = loadRules();

  it('adds one rule and leaves no global behind', () => {
    expect(rules).toHaveLength(1);
    expect(readFileSync(join(here, '50-nova.rules'), 'utf8')).toMatch(/^\(function \(\) \{$/m);
  });

  it('lets members of the nova group do every action but passthrough without a prompt', () => {
    for (const action of ALL_POLKIT_ACTIONS) {
      const want = ADMIN_ONLY_ACTIONS.includes(action) ? null : 'yes';
      expect({ action, result: decide(rules, action, [NOVA_GROUP, 'users']) }).toEqual({ action, result: want });
    }
  });

  it('never answers for the helper start, for other vendors\' actions, or for anyone outside the group', () => {
    expect(decide(rules, PKEXEC_ACTION, [NOVA_GROUP])).toBeNull();
    expect(decide(rules, 'org.freedesktop.login1.reboot', [NOVA_GROUP])).toBeNull();
    expect(decide(rules, 'org.nova.vm.manage.extra', [NOVA_GROUP])).toBeNull();
    for (const action of ALL_POLKIT_ACTIONS) expect(decide(rules, action, ['users', 'novas', 'sudo'])).toBeNull();
  });

  it('names its group in one place, so tests can point it at a group of their own', () => {
    const source = readFileSync(join(here, '50-nova.rules'), 'utf8');
    expect(source.split(`var NOVA_GROUP = "${NOVA_GROUP}";`)).toHaveLength(2);
    const other = loadRules(source.replace(`var NOVA_GROUP = "${NOVA_GROUP}";`, 'var NOVA_GROUP = "nv13a-group";'));
    expect(decide(other, 'org.nova.vm.manage', ['nv13a-group'])).toBe('yes');
    expect(decide(other, 'org.nova.vm.manage', [NOVA_GROUP])).toBeNull();
  });
});

describe('systemd unit and desktop entry', () => {
  it('the helper unit passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nv2u-unit-'));
    try {
      // verify checks that ExecStart exists; point it at a stand-in executable.
      const unit = readFileSync(join(here, 'nova-helper.service'), 'utf8').replace('/usr/libexec/nova/nova-helper', join(dir, 'nova-helper'));
      writeFileSync(join(dir, 'nova-helper'), '#!/bin/sh\n', { mode: 0o755 });
      writeFileSync(join(dir, 'nova-helper.service'), unit);
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'nova-helper.service')], { encoding: 'utf8' });
      const problems = r.stderr.split('\n').filter((l) => l.includes('nova-helper.service'));
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the desktop entry passes desktop-file-validate', () => {
    const out = execFileSync('desktop-file-validate', [join(here, 'org.nova.Nova.desktop')], { encoding: 'utf8' });
    expect(out.trim()).toBe('');
  });

  it('keeps processes the helper started alive across its restarts (KillMode=process)', () => {
    expect(readFileSync(join(here, 'nova-helper.service'), 'utf8')).toMatch(/^KillMode=process$/m);
  });
});
