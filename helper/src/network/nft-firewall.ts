// Applies Nova's nftables table (rendered by nft-ruleset.ts) with one `nft -f -`, and
// reads back which of its chains the kernel has, for status and recovery.
import { runChecked, type CommandRunner } from './command-runner.js';
import type { NetworkConfig } from './network-config.js';
import { renderRuleset } from './nft-ruleset.js';

export class NftFirewall {
  constructor(
    private readonly runner: CommandRunner,
    readonly table: string,
  ) {}

  /** Replaces the whole table in one transaction: either all of it applies or none. */
  async apply(networks: readonly NetworkConfig[]): Promise<void> {
    await runChecked(this.runner, ['nft', '-f', '-'], 'nft could not apply the network rules', {
      input: renderRuleset(networks, this.table),
    });
  }

  /**
   * The chains that rules jump to. A network's rules are in force only while the base
   * chains jump to its chains: after `nft flush table` the chains remain but are empty.
   */
  async jumpTargets(): Promise<Set<string>> {
    const r = await this.runner.run(['nft', '-j', 'list', 'table', 'inet', this.table]);
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
