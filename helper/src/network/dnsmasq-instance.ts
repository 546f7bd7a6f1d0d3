// One dnsmasq per network, serving DHCP and DNS on its bridge. It daemonizes, so it
// outlives a helper restart like the bridge does; it is found again by its pid file,
// and trusted only when that pid's command line names this network's config file.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/errors.js';
import type { DhcpLease } from '../../../src-shared/network.js';
import { isSameProcess, processCmdline, processStartTime } from '../util/proc-stat.js';
import { runChecked, type CommandRunner } from './command-runner.js';
import { startDnsmasq } from './network-commands.js';
import {
  parseLeases,
  renderDhcpHosts,
  renderDnsmasqConf,
  renderHosts,
  type DnsmasqOptions,
  type DnsmasqPaths,
} from './dnsmasq-config.js';
import type { AttachmentRecord, NetworkConfig } from './network-config.js';

const STOP_WAIT_MS = 3_000;
const START_WAIT_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Renamed into place so dnsmasq never reads half a file, but not fsynced: these are
 * derived from the network's record and rewritten on every start, so a crash loses nothing.
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
}

export class DnsmasqInstance {
  constructor(
    private readonly runner: CommandRunner,
    readonly paths: DnsmasqPaths,
    private readonly options: DnsmasqOptions,
  ) {}

  /**
   * Writes the config and the two re-readable files. The directory is world-readable
   * on purpose: dnsmasq drops to an unprivileged user and re-reads the host files then.
   */
  async writeFiles(config: NetworkConfig, attachments: readonly AttachmentRecord[]): Promise<void> {
    await mkdir(this.paths.dir, { recursive: true, mode: 0o755 });
    await Promise.all([
      replaceFile(this.paths.conf, renderDnsmasqConf(config, this.paths, this.options)),
      replaceFile(this.paths.dhcpHosts, renderDhcpHosts(attachments)),
      replaceFile(this.paths.hosts, renderHosts(config, attachments)),
    ]);
  }

  /** The running dnsmasq of this network, or null. */
  async pid(): Promise<number | null> {
    let text: string;
    try {
      text = await readFile(this.paths.pidFile, 'utf8');
    } catch {
      return null;
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 1) return null;
    const cmdline = await processCmdline(pid);
    return cmdline?.includes(`--conf-file=${this.paths.conf}`) ? pid : null;
  }

  async start(): Promise<number> {
    await rm(this.paths.pidFile, { force: true });
    // dnsmasq reports configuration and bind errors before it forks, through its exit code.
    await runChecked(this.runner, startDnsmasq(this.paths));
    const deadline = Date.now() + START_WAIT_MS;
    while (Date.now() < deadline) {
      const pid = await this.pid();
      if (pid !== null) return pid;
      await sleep(3);
    }
    throw new NovaError('internal', `dnsmasq started but wrote no pid file within ${START_WAIT_MS} ms (${this.paths.pidFile})`);
  }

  async ensureRunning(): Promise<{ pid: number; started: boolean }> {
    const pid = await this.pid();
    if (pid !== null) return { pid, started: false };
    return { pid: await this.start(), started: true };
  }

  /** SIGHUP: re-read the hosts files (new or removed guests) without dropping leases. */
  async reload(): Promise<void> {
    const pid = await this.pid();
    if (pid !== null) process.kill(pid, 'SIGHUP');
  }

  async stop(): Promise<void> {
    const pid = await this.pid();
    if (pid === null) return;
    const startTime = await processStartTime(pid);
    if (startTime === null) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    // Gone once it is a zombie or no longer there. Its command line empties earlier, when
    // the kernel releases its memory but before it closes its sockets, and a dnsmasq started
    // in that gap fails to bind the network's address.
    const deadline = Date.now() + STOP_WAIT_MS;
    while ((await isSameProcess(pid, startTime)) && Date.now() < deadline) await sleep(3);
    if (await isSameProcess(pid, startTime)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      const killDeadline = Date.now() + STOP_WAIT_MS;
      while ((await isSameProcess(pid, startTime)) && Date.now() < killDeadline) await sleep(3);
    }
  }

  async leases(): Promise<DhcpLease[]> {
    try {
      return parseLeases(await readFile(this.paths.leases, 'utf8'));
    } catch {
      return [];
    }
  }

  async removeFiles(): Promise<void> {
    await rm(this.paths.dir, { recursive: true, force: true });
  }
}
