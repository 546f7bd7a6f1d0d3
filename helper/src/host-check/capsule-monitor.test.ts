import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCapsuleMonitor, parseConmonVersion } from './capsule-monitor.js';
import { FakeHost, isCall } from './testing/fake-host.js';
import { CONMON_VERSION } from './testing/host-fixtures.js';

describe('the capsule monitor item', () => {
  let host: FakeHost;
  beforeEach(async () => {
    host = await FakeHost.create();
  });
  afterEach(async () => host.dispose());

  it('fails with the package to install when conmon is missing: capsules need it', async () => {
    const item = await checkCapsuleMonitor(host.env());
    expect(item).toMatchObject({ id: 'capsule-monitor', group: 'containers', label: 'Capsule monitor (conmon)', status: 'fail' });
    expect(item.summary).toBe('conmon is not installed: capsules cannot start');
    expect(item.evidence).toEqual(['conmon: not found in PATH']);
    expect(item.remedy).toBe('Install the capsule monitor: apt install conmon');
    expect(item.remedy).not.toContain('\n');
  });

  it('reports its path and version when it runs, with no remedy', async () => {
    await host.tool('/usr/bin/conmon');
    host.onRun((argv) => (isCall(argv, 'conmon', '--version') ? { stdout: CONMON_VERSION } : undefined));
    const item = await checkCapsuleMonitor(host.env());
    expect(item.status).toBe('ok');
    expect(item.summary).toBe('conmon 2.1.6 watches every capsule run');
    expect(item.evidence).toEqual([`${host.at('/usr/bin/conmon')}: conmon version 2.1.6`]);
    expect(item.remedy).toBeNull();
    expect(host.callsOf('conmon')).toEqual([[host.at('/usr/bin/conmon'), '--version']]);
  });

  it('fails when it is installed but does not run, quoting why', async () => {
    await host.tool('/usr/bin/conmon');
    host.onRun((argv) => (isCall(argv, 'conmon') ? { exitCode: 127, stderr: 'conmon: error while loading shared libraries: libglib-2.0.so.0' } : undefined));
    const item = await checkCapsuleMonitor(host.env());
    expect(item.status).toBe('fail');
    expect(item.summary).toMatch(/does not run/);
    expect(item.evidence[0]).toBe(`${host.at('/usr/bin/conmon')} --version: exit 127: conmon: error while loading shared libraries: libglib-2.0.so.0`);
    expect(item.remedy).toBe('Reinstall it: apt install --reinstall conmon');
  });

  it('reads the version number from its first line', () => {
    expect(parseConmonVersion('conmon version 2.1.6')).toBe('2.1.6');
    expect(parseConmonVersion('something else')).toBeNull();
  });
});
