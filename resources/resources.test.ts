// The installable files are checked with the same validators distributions use.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_POLKIT_ACTIONS } from '../src-shared/actions.js';

const here = import.meta.dirname;
const policy = readFileSync(join(here, 'org.nova.policy'), 'utf8');

function declaredActions(): string[] {
  return [...policy.matchAll(/<action id="([^"]+)">/g)].map((m) => m[1]!);
}

function defaultsOf(action: string): string {
  const block = policy.split(`<action id="${action}">`)[1]?.split('</action>')[0] ?? '';
  return /<allow_active>([^<]+)<\/allow_active>/.exec(block)?.[1] ?? '';
}

describe('polkit policy', () => {
  it('declares every action the contract uses', () => {
    expect(declaredActions()).toEqual(expect.arrayContaining([...ALL_POLKIT_ACTIONS]));
  });

  it('lets the active session read, needs an admin for changes and asks every time for passthrough', () => {
    expect(defaultsOf('org.nova.host.inspect')).toBe('yes');
    expect(defaultsOf('org.nova.vm.manage')).toBe('auth_admin_keep');
    expect(defaultsOf('org.nova.network.manage')).toBe('auth_admin_keep');
    expect(defaultsOf('org.nova.capsule.manage')).toBe('auth_admin_keep');
    expect(defaultsOf('org.nova.device.passthrough')).toBe('auth_admin');
    expect(policy).not.toMatch(/<allow_any>yes/);
  });

  it('is valid against polkit\'s DTD', () => {
    const r = spawnSync('xmllint', ['--noout', '--nonet', '--dtdvalid', '/usr/share/polkit-1/policyconfig-1.dtd', join(here, 'org.nova.policy')], { encoding: 'utf8' });
    expect(r.error, 'xmllint missing: run .ci/bootstrap').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
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
