// The periodic firewall check: something outside Nova (`nft flush ruleset`, a firewall
// manager's reload, `nft delete table`) can remove Nova's table while guests run. Every
// interval the kernel's jumps are compared with the ones the networks need; when some are
// missing the whole table is applied again (nft-firewall.ts), as a repair would.
import type { Logger } from '../util/logger.js';
import { renderRuleset } from './nft-ruleset.js';
import type { NetworkConfig } from './network-config.js';
import type { NftFirewall } from './nft-firewall.js';

export interface FirewallWatchDeps {
  firewall: NftFirewall;
  /** Networks that exist (not being created or deleted: their operation owns their rules). */
  settled: () => readonly NetworkConfig[];
  /** Told each network whose rules were put back. */
  changed: (network: string) => void;
  log: Logger;
}

/** Every chain that one of the base chains jumps to, from the script the networks render. */
export function expectedJumps(networks: readonly NetworkConfig[], table: string): Set<string> {
  const jumps = new Set<string>();
  if (networks.length === 0) return jumps;
  for (const m of renderRuleset(networks, table).matchAll(/\bjump (\S+)/g)) jumps.add(m[1] as string);
  return jumps;
}

export class FirewallWatch {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<boolean> | null = null;

  constructor(private readonly deps: FirewallWatchDeps) {}

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.checkNow(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Returns whether the table had to be applied again; checks never overlap. */
  checkNow(): Promise<boolean> {
    this.running ??= this.check().finally(() => (this.running = null));
    return this.running;
  }

  private async check(): Promise<boolean> {
    const { firewall, log } = this.deps;
    const networks = this.deps.settled();
    const want = expectedJumps(networks, firewall.table);
    if (want.size === 0) return false;
    try {
      const have = await firewall.jumpTargets();
      const missing = [...want].filter((chain) => !have.has(chain));
      if (missing.length === 0) return false;
      log.warn({ table: firewall.table, missing }, "Nova's nftables rules were removed from outside; applying them again");
      await firewall.sync();
      for (const n of networks) this.deps.changed(n.name);
      return true;
    } catch (err) {
      log.error({ err }, 'the periodic firewall check failed');
      return false;
    }
  }
}
