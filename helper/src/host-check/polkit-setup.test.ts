import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPolkit, findProcesses, NOVA_POLICY_FILE } from './polkit-setup.js';
import { FakeHost } from './testing/fake-host.js';

let host: FakeHost;
beforeEach(async () => {
  host = await FakeHost.create();
  await host.file('/proc/1/comm', 'systemd\n');
  await host.file('/proc/812/comm', 'dbus-daemon\n');
});
afterEach(async () => host.dispose());

async function installPolkit() {
  await host.tool('/usr/bin/pkcheck');
  await host.tool('/usr/lib/polkit-1/polkitd');
}

describe('polkit', () => {
  it('is ok when pkcheck and polkitd are installed and polkitd runs', async () => {
    await installPolkit();
    await host.file('/proc/901/comm', 'polkitd\n');
    const [daemon] = await checkPolkit(host.env());
    expect(daemon?.status).toBe('ok');
    expect(daemon?.evidence).toContain('polkitd running: yes (pid 901)');
  });

  it('warns that non-root callers will be refused while polkitd is stopped', async () => {
    await installPolkit();
    const [daemon] = await checkPolkit(host.env());
    expect(daemon?.status).toBe('warn');
    expect(daemon?.summary).toMatch(/non-root callers will be refused/);
  });

  it('warns that only root can use Nova without polkit', async () => {
    const [daemon] = await checkPolkit(host.env());
    expect(daemon?.summary).toMatch(/only root/);
    expect(daemon?.remedy).toMatch(/apt install polkitd pkexec/);
  });

  it('lists the actions of an installed Nova policy, and warns when it is missing', async () => {
    const [, missing] = await checkPolkit(host.env());
    expect(missing?.status).toBe('warn');
    expect(missing?.summary).toBe('Not installed: non-root callers will be refused');
    await host.file(
      NOVA_POLICY_FILE,
      '<policyconfig><action id="org.nova.host.inspect"></action><action id="org.nova.vm.manage"></action></policyconfig>',
    );
    const [, policy] = await checkPolkit(host.env());
    expect(policy?.status).toBe('ok');
    expect(policy?.evidence[0]).toMatch(/org.nova.host.inspect, org.nova.vm.manage$/);
  });

  it('finds processes by their comm', async () => {
    await host.file('/proc/901/comm', 'polkitd\n');
    await host.file('/proc/self/comm', 'polkitd\n');
    expect(await findProcesses(host.env(), 'polkitd')).toEqual([901]);
  });
});
