// The kernel half of a WireGuard overlay: the key pair (kept 0600 beside the network's
// record), the WireGuard device (kernel module, or wireguard-go where the kernel has none),
// its peers through `wg setconf`, and the VXLAN device inside the tunnel. network-manager.ts
// calls it before bridge-manager.ts enslaves that VXLAN device to the network's bridge.
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isNovaError, NovaError } from '../../../src-shared/errors.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { deleteLinksLines } from './bridge-manager.js';
import { runChecked, runCommand, type CommandRunner } from './command-runner.js';
import { addWireguardLink, fdbBatch, forcedLinkBatch, linkBatch, startWireguardGo, wgGenkey, wgPubkey, wgSetconf } from './network-commands.js';
import type { HostLink } from './host-links.js';
import type { NetworkConfig } from './network-config.js';
import { isWireguardKey, renderWireguardConf, vxlanInTunnelLines, wireguardAddressLines, type WireguardConfig } from './wireguard-plan.js';

/** Where wireguard-go puts its control socket (fixed in wireguard-go and in wg). */
export const WIREGUARD_UAPI_DIR = '/var/run/wireguard';
const DAEMON_EXIT_WAIT_MS = 3_000;

export interface WireguardTunnelOptions {
  /** The network records' directory: keys live beside them as NAME.wg-key. */
  keyDir: string;
  uapiDir?: string;
  /** /proc, to find wireguard-go by its command line. */
  procDir?: string;
}

export class WireguardTunnel {
  private readonly uapiDir: string;
  private readonly procDir: string;

  constructor(
    private readonly runner: CommandRunner,
    private readonly opts: WireguardTunnelOptions,
  ) {
    this.uapiDir = opts.uapiDir ?? WIREGUARD_UAPI_DIR;
    this.procDir = opts.procDir ?? '/proc';
  }

  /** A fresh key pair from `wg` (the private key never appears in an argv). */
  async generateKeys(): Promise<{ privateKey: string; publicKey: string }> {
    const privateKey = (await runChecked(this.runner, wgGenkey())).trim();
    const publicKey = (await runChecked(this.runner, wgPubkey(privateKey))).trim();
    if (!isWireguardKey(privateKey) || !isWireguardKey(publicKey)) throw new NovaError('internal', `${wgGenkey().failure}: wg printed something that is not a key`);
    return { privateKey, publicKey };
  }

  keyPath(network: string): string {
    return join(this.opts.keyDir, `${network}.wg-key`);
  }

  async saveKey(network: string, privateKey: string): Promise<void> {
    await writeFileAtomic(this.keyPath(network), `${privateKey}\n`, 0o600);
  }

  private async readKey(network: string): Promise<string> {
    const path = this.keyPath(network);
    const key = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (!isWireguardKey(key)) {
      throw new NovaError('failed_precondition', `the WireGuard private key of network ${network} (${path}) is missing or damaged; delete the network and create it again, then give the other hosts its new public key`);
    }
    return key;
  }

  /**
   * Makes the tunnel and the VXLAN device inside it real, given the links the kernel has
   * now: a missing WireGuard device (or a dead wireguard-go) is made again, and its
   * configuration is always re-applied, which `wg setconf` does idempotently.
   * Returns the devices it created.
   */
  async ensure(config: NetworkConfig, links: ReadonlyMap<string, HostLink>): Promise<string[]> {
    const o = config.overlay;
    const wg = o?.wireguard;
    if (!o || !wg) return [];
    const privateKey = await this.readKey(config.name);
    const created: string[] = [];
    const dev = links.get(wg.interface);
    if (dev && dev.kind !== 'wireguard' && dev.kind !== 'tun') {
      throw new NovaError('failed_precondition', `interface ${wg.interface} exists but is a ${dev.kind ?? 'plain'} device, not network ${config.name}'s WireGuard tunnel; remove it`);
    }
    if (!dev) {
      await this.createDevice(wg.interface);
      created.push(wg.interface);
    }
    try {
      await this.setconf(config.name, wg, privateKey);
      await runChecked(this.runner, linkBatch(wireguardAddressLines(wg), `cannot address WireGuard interface ${wg.interface}`));
      if (!links.has(o.device)) {
        const vx = vxlanInTunnelLines(o.device, o.vni, o.port, o.mtu ?? wg.mtu, wg);
        await runChecked(this.runner, linkBatch(vx.host, `cannot create VXLAN device ${o.device} inside the tunnel`));
        created.push(o.device);
        if (vx.fdb.length > 0) await runChecked(this.runner, fdbBatch(vx.fdb, 'cannot add the overlay peers'));
      }
    } catch (err) {
      await this.deleteLinks([...created].reverse());
      throw err;
    }
    return created;
  }

  /** Points a running tunnel at a new peer list: `wg setconf` replaces the peers, VXLAN's flood list follows. */
  async updatePeers(config: NetworkConfig, next: WireguardConfig): Promise<void> {
    const o = config.overlay;
    const wg = o?.wireguard;
    if (!o || !wg) return;
    const privateKey = await this.readKey(config.name);
    await this.setconf(config.name, next, privateKey);
    const before = new Set(wg.peers.map((p) => p.tunnelAddress));
    const after = new Set(next.peers.map((p) => p.tunnelAddress));
    const lines = [
      ...[...before].filter((a) => !after.has(a)).map((a) => `fdb del 00:00:00:00:00:00 dev ${o.device} dst ${a}`),
      ...[...after].filter((a) => !before.has(a)).map((a) => `fdb append 00:00:00:00:00:00 dev ${o.device} dst ${a} port ${o.port}`),
    ];
    if (lines.length > 0) await runChecked(this.runner, fdbBatch(lines, 'cannot update the overlay peers'));
  }

  /** Removes what ensure() made: the VXLAN device, the tunnel, wireguard-go and its socket, and the key. */
  async remove(config: NetworkConfig): Promise<void> {
    const o = config.overlay;
    const wg = o?.wireguard;
    if (!o || !wg) return;
    await this.deleteLinks([o.device, wg.interface]);
    // wireguard-go exits once its device is gone; one that does not is stopped.
    const alive = await this.stopDaemon(wg.interface);
    if (!alive) await rm(join(this.uapiDir, `${wg.interface}.sock`), { force: true });
    await rm(this.keyPath(config.name), { force: true });
  }

  /**
   * `wg setconf` reads only a file (the helper's stdin pipe is a socket, which /dev/stdin
   * cannot reopen): a 0600 file beside the key, gone once wg has read it.
   */
  private async setconf(network: string, wg: WireguardConfig, privateKey: string): Promise<void> {
    const file = join(this.opts.keyDir, `.${network}.wg-conf`);
    try {
      await writeFileAtomic(file, renderWireguardConf(wg, privateKey), 0o600);
      await runChecked(this.runner, wgSetconf(wg.interface, file));
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Kernel module first; where the kernel has none, wireguard-go makes a tun device of that name. */
  private async createDevice(ifname: string): Promise<void> {
    const kernel = await runCommand(this.runner, addWireguardLink(ifname));
    if (kernel.exitCode === 0) return;
    // A wireguard-go still serving this name (its device was deleted by hand) would hold the socket.
    await this.stopDaemon(ifname);
    const r = await runCommand(this.runner, startWireguardGo(ifname)).catch((err: unknown) => {
      if (isNovaError(err, 'unavailable')) return null;
      throw err;
    });
    if (r?.exitCode === 0) return;
    // wireguard-go prints a boxed notice that the kernel module would be better; only the rest explains.
    const why = (r?.stderr ?? 'wireguard-go: not found')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^[│┌└]/.test(l))
      .slice(0, 4)
      .join('; ');
    const missing = r === null || r.exitCode === 127 || /No such file|not found/i.test(why);
    throw new NovaError(
      missing ? 'unavailable' : 'internal',
      missing
        ? `cannot create WireGuard interface ${ifname}: the kernel has no WireGuard module (${kernel.stderr.trim() || 'ip link add failed'}) and wireguard-go is not installed; install wireguard-go and wireguard-tools`
        : `cannot create WireGuard interface ${ifname}: wireguard-go failed (${why || `exit code ${r?.exitCode}`})`,
      { ifname },
    );
  }

  private async deleteLinks(devices: readonly string[]): Promise<void> {
    if (devices.length === 0) return;
    await runCommand(this.runner, forcedLinkBatch(deleteLinksLines(devices)));
  }

  /** Pids of the live wireguard-go serving `ifname`: its command line is exactly "wireguard-go IFNAME". */
  async daemonPids(ifname: string): Promise<number[]> {
    const pids: number[] = [];
    for (const entry of await readdir(this.procDir).catch(() => [] as string[])) {
      if (!/^\d+$/.test(entry)) continue;
      const argv = (await readFile(join(this.procDir, entry, 'cmdline'), 'utf8').catch(() => '')).split('\0').filter((a) => a !== '');
      if (argv.length === 2 && basename(argv[0] ?? '') === 'wireguard-go' && argv[1] === ifname) pids.push(Number(entry));
    }
    return pids;
  }

  /** SIGTERM, then SIGKILL after a bound; resolves to whether one is still alive. */
  private async stopDaemon(ifname: string): Promise<boolean> {
    let pids = await this.daemonPids(ifname);
    if (pids.length === 0) return false;
    const deadline = Date.now() + DAEMON_EXIT_WAIT_MS;
    let signal: NodeJS.Signals = 'SIGTERM';
    while (pids.length > 0 && Date.now() < deadline + DAEMON_EXIT_WAIT_MS) {
      if (Date.now() >= deadline) signal = 'SIGKILL';
      for (const pid of pids) {
        try {
          process.kill(pid, signal);
        } catch {
          // gone already
        }
      }
      await new Promise((r) => setTimeout(r, 50));
      pids = await this.daemonPids(ifname);
    }
    return pids.length > 0;
  }
}

/** Why a wireguard overlay's tunnel is not whole, for the network's status. */
export function wireguardProblems(wg: WireguardConfig | undefined, links: ReadonlyMap<string, HostLink>): string[] {
  if (!wg) return [];
  const dev = links.get(wg.interface);
  if (!dev) return [`WireGuard interface ${wg.interface} is missing`];
  if (!dev.up) return [`WireGuard interface ${wg.interface} is down`];
  return [];
}
