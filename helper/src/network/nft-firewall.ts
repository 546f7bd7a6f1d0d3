// Applies Nova's nftables table (rendered by nft-ruleset.ts) with one `nft -f -`, and
// reads back which of its chains the kernel has, for status and recovery. All networks
// share the table, so applies queue and each renders the networks as they are when it runs.
import { runChecked, runCommand, type CommandRunner } from './command-runner.js';
import type { NetworkConfig } from './network-config.js';
import { allowLoopbackRouting, applyRuleset, listTable } from './network-commands.js';
import { localForwards, renderRuleset } from './nft-ruleset.js';

export class NftFirewall {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runner: CommandRunner,
    readonly table: string,
    /** The networks whose rules belong in the table right now. */
    private readonly networks: () => readonly NetworkConfig[],
  ) {}

  /**
   * Replaces the whole table in one transaction: either all of it applies or none. Two
   * changes never race: the later one waits and then renders what is current, so a slow
   * apply can never put back rules a newer one removed.
   */
  sync(signal?: AbortSignal): Promise<void> {
    const apply = async () => {
      const networks = this.networks();
      await runChecked(this.runner, applyRuleset(renderRuleset(networks, this.table)), signal);
      // The rules that drop loopback addresses from guests are in force before the bridge
      // routes them. A bridge not made yet gets it at the sync that follows its creation.
      for (const net of networks.filter(localForwards)) {
        await runCommand(this.runner, allowLoopbackRouting(net.bridge), signal);
      }
    };
    const run = this.tail.then(apply, apply);
    this.tail = run.catch(() => undefined);
    return run.then(() => undefined);
  }

  /**
   * The chains that rules jump to. A network's rules are in force only while the base
   * chains jump to its chains: after `nft flush table` the chains remain but are empty.
   */
  async jumpTargets(): Promise<Set<string>> {
    const r = await runCommand(this.runner, listTable(this.table));
    if (r.exitCode !== 0) return new Set();
    try {
      const doc = JSON.parse(r.stdout) as { nftables?: Array<{ rule?: { expr?: unknown[] } }> };
      const targets = new Set<string>();
      for (const entry of doc.nftables ?? []) {
        for (const e of entry.rule?.expr ?? []) {
          const target = (e as { jump?: { target?: unknown } }).jump?.target;
          if (typeof target === 'string') targets.add(target);
        }
      }
      return targets;
    } catch {
      return new Set();
    }
  }
}
