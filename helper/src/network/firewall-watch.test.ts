// The periodic firewall check: it applies the table again only when a jump the networks
// need is missing from the kernel (table deleted or flushed from outside), never when all
// is in place, and never for networks that are being created or deleted.
import { describe, expect, it } from 'vitest';
import type { RunResult, RunSpec } from '../process/process-runner.js';
import type { CommandRunner } from './command-runner.js';
import { expectedJumps, FirewallWatch } from './firewall-watch.js';
import type { NetworkConfig } from './network-config.js';
import { NftFirewall } from './nft-firewall.js';
import { silentLogger } from '../util/logger.js';
import { planned } from './testing/planned-networks.js';

const result = (exitCode: number, stdout = ''): RunResult => ({ exitCode, signal: null, stdout, stderr: '', stopped: false, durationMs: 1 });

/** `nft -j list table` answers with these jumps (or "no such table" when null); applies are counted. */
function fakeNft(jumps: () => string[] | null) {
  const applied: string[] = [];
  const runner: CommandRunner = {
    async run(spec: RunSpec) {
      if (spec.input !== undefined) {
        applied.push(String(spec.input));
        return result(0);
      }
      const have = jumps();
      if (have === null) return result(1);
      const nftables = have.map((target) => ({ rule: { expr: [{ jump: { target } }] } }));
      return result(0, JSON.stringify({ nftables }));
    },
  };
  return { runner, applied };
}

function watchOver(networks: NetworkConfig[], jumps: () => string[] | null) {
  const nft = fakeNft(jumps);
  const changed: string[] = [];
  const watch = new FirewallWatch({
    firewall: new NftFirewall(nft.runner, 'nova', () => networks),
    settled: () => networks,
    changed: (n) => changed.push(n),
    log: silentLogger(),
  });
  return { watch, applied: nft.applied, changed };
}

describe('expectedJumps', () => {
  it('names the chains each network needs, forwards and NAT included', () => {
    const lab = planned({ name: 'lab', subnet: '10.203.0.1/24', forwards: ['8080:10.203.0.10:80'] });
    expect([...expectedJumps([lab], 'nova')].sort()).toEqual(['net-lab-dnat', 'net-lab-in', 'net-lab-out', 'net-lab-snat']);
    expect(expectedJumps([], 'nova').size).toBe(0);
  });
});

describe('FirewallWatch.checkNow', () => {
  const lab = planned({ name: 'lab', subnet: '10.203.0.1/24' });
  const whole = [...expectedJumps([lab], 'nova')];

  it('leaves a whole table alone', async () => {
    const { watch, applied, changed } = watchOver([lab], () => whole);
    expect(await watch.checkNow()).toBe(false);
    expect(applied).toEqual([]);
    expect(changed).toEqual([]);
  });

  it('applies the table again when it was deleted, and announces the network', async () => {
    const { watch, applied, changed } = watchOver([lab], () => null);
    expect(await watch.checkNow()).toBe(true);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toContain('chain net-lab-out');
    expect(changed).toEqual(['lab']);
  });

  it('applies it again when one jump is gone (a flushed base chain)', async () => {
    const { watch, applied } = watchOver([lab], () => whole.filter((j) => j !== 'net-lab-in'));
    expect(await watch.checkNow()).toBe(true);
    expect(applied).toHaveLength(1);
  });

  it('does nothing without networks (Nova has no table then)', async () => {
    const { watch, applied } = watchOver([], () => null);
    expect(await watch.checkNow()).toBe(false);
    expect(applied).toEqual([]);
  });

  it('runs one check at a time', async () => {
    const { watch, applied } = watchOver([lab], () => null);
    const [a, b] = await Promise.all([watch.checkNow(), watch.checkNow()]);
    expect([a, b]).toEqual([true, true]);
    expect(applied).toHaveLength(1);
  });
});
