// The guest agent through QEMU's real virtio-serial channel (TCG). The busybox test guest
// cannot run qemu-ga, so the test starts a tiny stand-in in it: a shell loop on the
// org.qemu.guest_agent.0 port answering guest-sync-delimited, guest-ping,
// guest-network-get-interfaces, the freeze pair and guest-shutdown, each also written to
// the serial console so the test sees what the helper asked. The helper's side is the
// product's: the channel, vm.get's guest addresses, the freeze around a snapshot and the
// guest's own shutdown before the power button.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_PROMPT } from './fixtures/guest-builder.js';
import { GuestSerial, waitForShell } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { ensureInitrdWithModules } from './fixtures/disk-guest.js';
import { vmSpec } from './fixtures/contract-params.js';
import { waitFor } from './fixtures/wait-for.js';

const name = 'nv11n-qga';
let run: VmTestRun;
let vms: VmManager;
let initrd: string;

afterAll(async () => {
  await run?.cleanup();
});

/**
 * The stand-in agent: answers on the port named org.qemu.guest_agent.0 (one open at a
 * time: read and written through one fd; a read ends when the helper hangs up, so it
 * reads again), and says on the console what it was asked.
 */
const AGENT = `for d in /sys/class/virtio-ports/*; do [ "$(cat $d/name)" = org.qemu.guest_agent.0 ] && p=/dev/\${d##*/}; done
say(){ echo "QGA-$1" >/dev/console; }
exec 3<>$p
while :; do while read -r l; do case "$l" in
*sync-delimited*) printf '\\377{"return": %s}\\n' "$(echo "$l" | sed 's/.*"id":\\([0-9]*\\).*/\\1/')";;
*guest-ping*) echo '{"return": {}}';;
*get-interfaces*) echo '{"return": [{"name": "lo", "ip-addresses": []}, {"name": "eth0", "hardware-address": "52:54:00:0a:0b:0c", "ip-addresses": [{"ip-address": "10.11.12.13", "prefix": 24}]}]}';;
*fsfreeze-freeze*) say FREEZE; echo '{"return": 1}';;
*fsfreeze-thaw*) say THAW; echo '{"return": 1}';;
*guest-shutdown*) say SHUTDOWN; poweroff -f;;
esac; done <&3 >&3; sleep 1; done
`;

beforeAll(async () => {
  run = await startVmTestRun('nv11n');
  initrd = await ensureInitrdWithModules(run.guest, 'qga-v1', ['drivers/char/virtio_console.ko']);
  vms = await run.manager({ allowedRoots: [run.dir, dirname(run.guest.vmlinux), dirname(initrd)] });
  await vms.create(vmSpec({ name, memory: '256Mi', diskSize: '32Mi', kernel: run.guest.vmlinux, initrd, cmdline: run.guest.cmdline, display: 'none', guestAgent: true }));
}, 600_000);

describe('the guest agent channel', () => {
  it('is silent until an agent runs; then vm.get shows its addresses, a snapshot freezes the guest, and stop asks the guest to shut down', async () => {
    await vms.start(name);
    const serialLog = vms.serialLog(name).logPath;
    // No agent yet: the channel is there, nobody answers.
    await waitFor(async () => (await vms.get(name)).guestAgent !== undefined, 10_000, 'the agent watch');
    expect((await vms.get(name)).guestAgent).toEqual({ answering: false, interfaces: [] });

    const serial = await GuestSerial.connect((await vms.consoleInfo(name)).serialSocket);
    try {
      await waitForShell(serial, GUEST_PROMPT, 90_000);
      await serial.run('dmesg -n 1', GUEST_PROMPT);
      // Sent as base64 in short lines: the console wraps at 80 columns.
      const encoded = Buffer.from(AGENT).toString('base64').match(/.{1,48}/g) ?? [];
      for (const chunk of encoded) await serial.run(`echo ${chunk}>>/q`, GUEST_PROMPT);
      await serial.run('base64 -d /q >/q.sh; sh /q.sh & sleep 1', GUEST_PROMPT);
    } finally {
      serial.close();
    }
    await waitFor(async () => (await vms.get(name)).guestAgent?.answering === true, 20_000, 'the agent to answer');
    expect((await vms.get(name)).guestAgent?.interfaces).toEqual([{ name: 'eth0', mac: '52:54:00:0a:0b:0c', addresses: ['10.11.12.13/24'] }]);

    await vms.snapshotCreate(name, 'frozen');
    const afterSnapshot = await readFile(serialLog, 'utf8');
    expect(afterSnapshot.indexOf('QGA-FREEZE')).toBeGreaterThan(-1);
    expect(afterSnapshot.indexOf('QGA-THAW')).toBeGreaterThan(afterSnapshot.indexOf('QGA-FREEZE'));

    const stopped = await vms.stop(name, { timeoutMs: 30_000 });
    expect(stopped).toEqual({ graceful: true });
    expect(await readFile(serialLog, 'utf8')).toContain('QGA-SHUTDOWN');
    expect((await vms.get(name)).state).toBe('stopped');
  }, 300_000);
});
