import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSpiceViewer } from './spice-viewer.js';
import { FakeHost, isCall } from './testing/fake-host.js';

describe('the remote-viewer item', () => {
  let host: FakeHost;
  beforeEach(async () => {
    host = await FakeHost.create();
  });
  afterEach(async () => host.dispose());

  it('warns with the package to install when remote-viewer is missing', async () => {
    const item = await checkSpiceViewer(host.env());
    expect(item).toMatchObject({ id: 'remote-viewer', group: 'desktop', status: 'warn', remedy: 'Install it: apt install virt-viewer' });
    expect(item.summary).toMatch(/not installed/);
    expect(item.evidence).toEqual(['remote-viewer: not found in PATH']);
  });

  it('reports the version when it runs', async () => {
    await host.tool('/usr/bin/remote-viewer');
    host.onRun((argv) => (isCall(argv, 'remote-viewer', '--version') ? { stdout: 'remote-viewer version 11.0\n' } : undefined));
    const item = await checkSpiceViewer(host.env());
    expect(item.status).toBe('ok');
    expect(item.summary).toMatch(/^remote-viewer 11\.0/);
    expect(item.remedy).toBeNull();
    expect(item.evidence[0]).toBe(`${host.at('/usr/bin/remote-viewer')} --version: remote-viewer version 11.0`);
  });

  it('warns when it is installed but broken', async () => {
    await host.tool('/usr/bin/remote-viewer');
    host.onRun((argv) => (isCall(argv, 'remote-viewer') ? { exitCode: 127, stderr: 'error while loading shared libraries: libspice-client-gtk-3.0.so.5' } : undefined));
    const item = await checkSpiceViewer(host.env());
    expect(item.status).toBe('warn');
    expect(item.summary).toMatch(/does not run/);
    expect(item.evidence[0]).toMatch(/exit 127: error while loading shared libraries/);
    expect(item.remedy).toMatch(/virt-viewer/);
  });
});
