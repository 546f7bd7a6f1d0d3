// The rebuild reads the command lines Nova's own qemu-argv.ts writes: every golden case
// (golden/NAME.cmd, its definition overlay in NAME.json) must give back what started it,
// and a path that is not the VM's layout must refuse the rebuild.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VmRuntimePaths } from './qemu-argv.js';
import { rebuildFromArgv, splitQemuOptions, startedAtFrom } from './runtime-record-rebuild.js';
import { nicAttachmentName } from './vm-network.js';

const GOLDEN = join(import.meta.dirname, 'golden');

interface GoldenCase {
  def: { name?: string; machine?: string; nics?: Array<{ network: { mode: string; network?: string }; mac: string | null }>; display?: { vnc: boolean; spice: boolean } };
  accel?: 'kvm' | 'tcg';
  vncWebsocketPort?: number | null;
  taps?: Array<{ index: number; ifname: string; mac: string }>;
  cpuOff?: string[];
}

/** The layout the golden files were built with (qemu-argv.test.ts's specFor). */
function pathsOf(name: string): VmRuntimePaths {
  const run = `/run/nova/vms/${name}`;
  return {
    qmpSocket: `${run}/qmp.sock`,
    serialSocket: `${run}/serial.sock`,
    serialLog: `/var/lib/nova/vms/${name}/serial.log`,
    pidFile: `${run}/qemu.pid`,
    vncSocket: `${run}/vnc.sock`,
    spiceSocket: `${run}/spice.sock`,
    uefiVars: `/var/lib/nova/vms/${name}/OVMF_VARS.fd`,
      tpmSocket: `/run/nova/vms/${name}/swtpm.sock`,
    guestAgentSocket: `/run/nova/vms/${name}/qga.sock`,
  };
}

const cases = readdirSync(GOLDEN)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

function load(label: string): { c: GoldenCase; argv: string[]; name: string; networks: Array<string | null> } {
  const c = JSON.parse(readFileSync(join(GOLDEN, `${label}.json`), 'utf8')) as GoldenCase;
  const argv = readFileSync(join(GOLDEN, `${label}.cmd`), 'utf8').split('\n').filter((l) => l.length > 0);
  const name = c.def.name ?? 'web';
  const networks = (c.def.nics ?? []).map((n) => (n.network.mode === 'nova' ? (n.network.network ?? null) : null));
  return { c, argv, name, networks };
}

describe('rebuildFromArgv on the golden command lines', () => {
  it('has cases with a tap, VNC with and without a websocket, SPICE and KVM', () => {
    const all = cases.map(load);
    expect(all.some((g) => g.c.taps?.length)).toBe(true);
    expect(all.some((g) => (g.c.taps?.length ?? 0) > 1)).toBe(true);
    expect(all.some((g) => g.c.vncWebsocketPort)).toBe(true);
    expect(all.some((g) => g.c.def.display?.spice)).toBe(true);
    expect(all.some((g) => g.c.accel === 'kvm')).toBe(true);
    expect(all.some((g) => g.c.cpuOff?.length)).toBe(true);
  });

  for (const label of cases) {
    it(label, () => {
      const { c, argv, name, networks } = load(label);
      const paths = pathsOf(name);
      const graphic = c.def.machine !== 'microvm';
      const vnc = graphic && c.def.display?.vnc === true;
      const spice = graphic && c.def.display?.spice === true;
      expect(rebuildFromArgv(argv, paths, name, networks)).toEqual({
        ok: true,
        runtime: {
          accel: c.accel ?? 'tcg',
          qmpSocket: paths.qmpSocket,
          serialSocket: paths.serialSocket,
          serialLog: paths.serialLog,
          vncSocket: vnc ? paths.vncSocket : null,
          vncWebsocketPort: vnc ? (c.vncWebsocketPort ?? null) : null,
          spiceSocket: spice ? paths.spiceSocket : null,
          taps: (c.taps ?? []).map((t) => ({ ...t, mac: c.def.nics?.[t.index]?.mac ?? t.mac, network: networks[t.index], resource: nicAttachmentName(name, t.index, networks) })),
          cpuOff: c.cpuOff ?? [],
        },
      });
    });
  }
});

describe('rebuildFromArgv refuses what is not the VM layout', () => {
  const { argv, networks } = load('q35-vnc-and-spice');
  const paths = pathsOf('web');
  const swap = (from: string, to: string) => argv.map((a) => a.replace(from, to));

  it.each([
    ['QMP socket', swap('/run/nova/vms/web/qmp.sock', '/tmp/qmp.sock')],
    ['serial socket', swap('/run/nova/vms/web/serial.sock', '/tmp/serial.sock')],
    ['VNC socket', swap('/run/nova/vms/web/vnc.sock', '/tmp/vnc.sock')],
    ['SPICE socket', swap('/run/nova/vms/web/spice.sock', '/tmp/spice.sock')],
    ['pidfile', swap('/run/nova/vms/web/qemu.pid', '/tmp/qemu.pid')],
  ])('a %s elsewhere', (what, changed) => {
    const r = rebuildFromArgv(changed, paths, 'web', networks);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(what);
  });

  it('a VNC websocket off loopback', () => {
    expect(rebuildFromArgv(swap('websocket=127.0.0.1:', 'websocket=0.0.0.0:'), paths, 'web', networks)).toMatchObject({ ok: false });
  });

  it('no accelerator Nova uses', () => {
    expect(rebuildFromArgv(swap('tcg', 'xen'), paths, 'web', networks)).toMatchObject({ ok: false, reason: expect.stringContaining('accelerator') });
  });

  it('a tap the definition does not know, and a network with no tap', () => {
    const tapped = load('q35-nova-network-tap');
    expect(rebuildFromArgv(tapped.argv, paths, 'web', [])).toMatchObject({ ok: false, reason: expect.stringContaining('no NIC there') });
    expect(rebuildFromArgv(tapped.argv, paths, 'web', [null])).toMatchObject({ ok: false, reason: expect.stringContaining('no Nova network') });
    expect(rebuildFromArgv(argv, paths, 'web', ['lab'])).toMatchObject({ ok: false, reason: expect.stringContaining('no tap') });
  });

  it('a layout path with a comma, as QEMU escapes it', () => {
    const odd = { ...paths, qmpSocket: '/run/nova/vms/we,b/qmp.sock' };
    const escaped = swap('path=/run/nova/vms/web/qmp.sock', 'path=/run/nova/vms/we,,b/qmp.sock');
    expect(rebuildFromArgv(escaped, odd, 'we,b', networks)).toMatchObject({ ok: true, runtime: { qmpSocket: odd.qmpSocket } });
  });
});

describe('splitQemuOptions and startedAtFrom', () => {
  it('splits on single commas and keeps doubled ones as one', () => {
    expect(splitQemuOptions('socket,id=a,path=/x,,y,,,wait=off')).toEqual(['socket', 'id=a', 'path=/x,y,', 'wait=off']);
  });

  it('adds the start ticks (1/100 s) to the boot time', () => {
    expect(startedAtFrom('12345', 'cpu  1 2 3\nbtime 1700000000\nprocesses 5\n')).toBe(new Date((1700000000 + 123.45) * 1000).toISOString());
    expect(startedAtFrom('12345', 'cpu 1\n')).toBeNull();
  });
});
