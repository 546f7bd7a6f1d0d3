// A running VM's runtime record rebuilt from what the helper can establish itself, when
// the record on disk is damaged: QEMU's own command line (read from /proc) and the VM's
// layout. Every socket path on that command line must be the one the layout gives the
// VM; one that differs means the QEMU is not what this helper would have started, so
// nothing is guessed and the caller does not adopt it. The VNC password is never guessed
// either: the caller sets a new one over QMP.
import { flagValue } from '../util/proc-stat.js';
import type { VmRuntimePaths } from './qemu-argv.js';
import type { RuntimeRecord } from './vm-store.js';
import { nicAttachmentName } from './vm-network.js';

/** What the command line gives; pid, start time, startedAt and the VNC password come from elsewhere. */
export type ArgvRuntime = Omit<RuntimeRecord, 'version' | 'pid' | 'startTime' | 'startedAt' | 'vncPassword' | 'crashed'>;

export type ArgvRebuild = { ok: true; runtime: ArgvRuntime } | { ok: false; reason: string };

/**
 * QEMU's option syntax: `a=b,c=d`, a comma inside a value doubled (qemu-argv.ts's
 * qemuEscape). Returns the options in order, unescaped; an option without `=` keys the
 * empty string's place as its own text.
 */
export function splitQemuOptions(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch !== ',') {
      cur += ch;
    } else if (value[i + 1] === ',') {
      cur += ',';
      i++;
    } else {
      out.push(cur);
      cur = '';
    }
  }
  out.push(cur);
  return out;
}

function optionMap(value: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const opt of splitQemuOptions(value)) {
    const eq = opt.indexOf('=');
    if (eq > 0) map.set(opt.slice(0, eq), opt.slice(eq + 1));
  }
  return map;
}

/** Every value given to `flag`, in order. */
function valuesOf(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === flag) out.push(argv[i + 1]!);
  return out;
}

function chardev(argv: readonly string[], id: string): Map<string, string> | null {
  return valuesOf(argv, '-chardev').map(optionMap).find((m) => m.get('id') === id) ?? null;
}

class Mismatch extends Error {}

function expectPath(what: string, found: string | undefined | null, layout: string): string {
  if (found !== layout) throw new Mismatch(`the ${what} on QEMU's command line (${found ?? 'none'}) is not the VM's ${layout}`);
  return layout;
}

/**
 * The record's fields from QEMU's argv. `vm` and `networks`: the VM and the Nova network
 * of each of its definition's NICs (null for user mode); the taps on the command line
 * (netdev netN) and the definition must agree NIC by NIC.
 */
export function rebuildFromArgv(argv: readonly string[], paths: VmRuntimePaths, vm: string, networks: ReadonlyArray<string | null>): ArgvRebuild {
  try {
    expectPath('pidfile', flagValue(argv, '-pidfile'), paths.pidFile);
    const accel = flagValue(argv, '-accel');
    if (accel !== 'kvm' && accel !== 'tcg') throw new Mismatch(`QEMU's command line names no accelerator Nova uses (-accel ${accel ?? 'missing'})`);
    const qmp = chardev(argv, 'qmp');
    const serial = chardev(argv, 'ser0');
    const qmpSocket = expectPath('QMP socket', qmp?.get('path'), paths.qmpSocket);
    const serialSocket = expectPath('serial socket', serial?.get('path'), paths.serialSocket);
    const serialLog = expectPath('serial log', serial?.get('logfile'), paths.serialLog);
    return { ok: true, runtime: { accel, qmpSocket, serialSocket, serialLog, ...displayOf(argv, paths), taps: tapsOf(argv, vm, networks), cpuOff: cpuOffOf(argv) } };
  } catch (err) {
    if (err instanceof Mismatch) return { ok: false, reason: err.message };
    throw err;
  }
}

function displayOf(argv: readonly string[], paths: VmRuntimePaths): Pick<RuntimeRecord, 'vncSocket' | 'vncWebsocketPort' | 'spiceSocket'> {
  let vncSocket: string | null = null;
  let vncWebsocketPort: number | null = null;
  const vnc = flagValue(argv, '-vnc');
  if (vnc !== null) {
    const [addr = '', ...rest] = splitQemuOptions(vnc);
    vncSocket = expectPath('VNC socket', addr.startsWith('unix:') ? addr.slice('unix:'.length) : addr, paths.vncSocket);
    const ws = rest.find((o) => o.startsWith('websocket='))?.slice('websocket='.length);
    if (ws !== undefined) {
      // Nova binds the websocket to loopback only; any other address is not Nova's.
      const m = /^127\.0\.0\.1:(\d{1,5})$/.exec(ws);
      if (!m) throw new Mismatch(`the VNC websocket on QEMU's command line (${ws}) is not on 127.0.0.1`);
      vncWebsocketPort = Number(m[1]);
    }
  }
  const spice = flagValue(argv, '-spice');
  const spiceSocket = spice === null ? null : expectPath('SPICE socket', optionMap(spice).get('addr'), paths.spiceSocket);
  return { vncSocket, vncWebsocketPort, spiceSocket };
}

function tapsOf(argv: readonly string[], vm: string, networks: ReadonlyArray<string | null>): RuntimeRecord['taps'] {
  const byIndex = new Map<number, Map<string, string>>();
  for (const netdev of valuesOf(argv, '-netdev').filter((v) => v.startsWith('tap,'))) {
    const opts = optionMap(netdev);
    const index = /^net(\d+)$/.exec(opts.get('id') ?? '')?.[1];
    if (index === undefined) throw new Mismatch(`QEMU has a tap whose netdev (${opts.get('id') ?? 'no id'}) is not a Nova NIC's`);
    byIndex.set(Number(index), opts);
  }
  const devices = valuesOf(argv, '-device').map(optionMap);
  const taps: RuntimeRecord['taps'] = [];
  networks.forEach((network, index) => {
    const opts = byIndex.get(index);
    byIndex.delete(index);
    if (!opts) {
      if (network !== null) throw new Mismatch(`the VM joins network ${network} on net${index} but its QEMU has no tap there`);
      return;
    }
    if (network === null) throw new Mismatch(`QEMU has a tap on net${index} but the VM's definition joins no Nova network there`);
    const ifname = opts.get('ifname');
    const mac = devices.find((m) => m.get('netdev') === `net${index}`)?.get('mac');
    if (!ifname || !mac) throw new Mismatch(`QEMU's tap on net${index} names no ${ifname ? 'MAC address' : 'interface'}`);
    taps.push({ network, ifname, mac, index, resource: nicAttachmentName(vm, index, networks) });
  });
  const extra = [...byIndex.keys()][0];
  if (extra !== undefined) throw new Mismatch(`QEMU has a tap on net${extra} but the VM's definition has no NIC there`);
  return taps;
}

/** Clock ticks a second in /proc/PID/stat: USER_HZ, 100 on every Linux architecture Nova runs on. */
const USER_HZ = 100;

/** When a process started, from its start time in ticks since boot and the boot time (`btime` of /proc/stat). */
export function startedAtFrom(startTimeTicks: string, procStat: string): string | null {
  const btime = /^btime (\d+)$/m.exec(procStat)?.[1];
  if (!btime || !/^\d+$/.test(startTimeTicks)) return null;
  return new Date((Number(btime) + Number(startTimeTicks) / USER_HZ) * 1000).toISOString();
}

/** `-cpu host,-avx512f,hv-relaxed` -> ["avx512f"]: the features an arrival turned off. */
function cpuOffOf(argv: readonly string[]): string[] {
  return (flagValue(argv, '-cpu') ?? '')
    .split(',')
    .filter((p) => p.startsWith('-'))
    .map((p) => p.slice(1));
}
