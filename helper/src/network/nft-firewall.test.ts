// The one nftables table all networks share: applies never overlap, and each renders the
// networks as they are when it runs, so a slow apply cannot bring back a removed network.
// A recording runner stands in for nft (the real one is in the network system tests).
import { describe, expect, it } from 'vitest';
import type { RunResult, RunSpec } from '../process/process-runner.js';
import { runChecked, type CommandRunner } from './command-runner.js';
import type { NetworkConfig } from './network-config.js';
import { linkBatch } from './network-commands.js';
import { NftFirewall } from './nft-firewall.js';
import { HYPERV0_SPEC, planned } from './testing/planned-networks.js';

const ok = (stdout = ''): RunResult => ({ exitCode: 0, signal: null, stdout, stderr: '', stopped: false, durationMs: 1 });

/** Records each nft script; the first apply takes `firstMs` to finish. */
function recordingRunner(firstMs: number) {
  const scripts: string[] = [];
  let running = 0;
  let overlapped = false;
  let firstStarted = () => undefined as void;
  const started = new Promise<void>((resolve) => (firstStarted = resolve));
  const runner: CommandRunner = {
    async run(spec: RunSpec) {
      running += 1;
      overlapped ||= running > 1;
      const slow = scripts.length === 0;
      scripts.push(String(spec.input));
      if (slow) firstStarted();
      await new Promise((r) => setTimeout(r, slow ? firstMs : 1));
      running -= 1;
      return ok();
    },
  };
  return { runner, scripts, started, overlapped: () => overlapped };
}

describe('NftFirewall.sync', () => {
  it('applies one at a time, each with the networks current when it runs', async () => {
    const hyperv0 = planned(HYPERV0_SPEC);
    const lab = planned({ name: 'lab', subnet: '10.203.0.1/24' });
    let networks: NetworkConfig[] = [hyperv0, lab];
    const r = recordingRunner(50);
    const fw = new NftFirewall(r.runner, 'nova', () => networks);
    const first = fw.sync();
    await r.started;
    // lab is deleted while the first apply is still running; the second must not render it.
    networks = [hyperv0];
    const second = fw.sync();
    await Promise.all([first, second]);
    expect(r.overlapped()).toBe(false);
    expect(r.scripts).toHaveLength(2);
    expect(r.scripts[0]).toContain('net-lab-out');
    expect(r.scripts[1]).not.toContain('net-lab-out');
    expect(r.scripts[1]).toContain('net-hyperv0-out');
  });

  it('goes on after a failed apply', async () => {
    let calls = 0;
    const runner: CommandRunner = {
      run: async () => {
        calls += 1;
        return calls === 1 ? { ...ok(), exitCode: 1, stderr: 'Error: Could not process rule: No such file or directory\n' } : ok();
      },
    };
    const fw = new NftFirewall(runner, 'nova', () => []);
    await expect(fw.sync()).rejects.toThrow(/^nft could not apply the network rules: Error: Could not process rule/);
    await expect(fw.sync()).resolves.toBeUndefined();
  });
});

describe('runChecked', () => {
  it("quotes the tool's first lines, where ip -batch says why (its last line only says where)", async () => {
    const runner: CommandRunner = {
      run: async () => ({ ...ok(), exitCode: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:1\n' }),
    };
    await expect(runChecked(runner, linkBatch(['link add name x type bridge']))).rejects.toMatchObject({
      code: 'internal',
      message: 'ip could not apply the network change: RTNETLINK answers: File exists; Command failed -:1',
      details: { argv: ['ip', '-batch', '-'], exitCode: 1 },
    });
  });
});
