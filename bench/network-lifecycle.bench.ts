// Creating and deleting a NAT network through Nova's NetworkManager against the same
// kernel work done with the fewest raw commands (ip -batch, nft -f, dnsmasq, kill),
// both inside a throwaway network namespace (nv8nb…) so the host is never touched.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsmasqPaths, renderDnsmasqConf } from '../helper/src/network/dnsmasq-config.js';
import { NetworkManager } from '../helper/src/network/network-manager.js';
import { ProcessRunner } from '../helper/src/process/process-runner.js';
import { planNetwork } from '../helper/src/network/network-plan.js';
import { renderRuleset } from '../helper/src/network/nft-ruleset.js';
import { NetworkSpecSchema } from '../src-shared/network.js';
import { summarize, timeIt, type Benchmark } from './bench-harness.js';

const HOST = 'nv8nb-nethost';
const PEER = 'nv8nb-netpeer';
const TABLE = 'nvbnova';

function sh(argv: string[], input?: string): void {
  execFileSync(argv[0] as string, argv.slice(1), { input, stdio: ['pipe', 'ignore', 'pipe'], timeout: 15_000 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const networkLifecycle: Benchmark = {
  name: 'NAT network create+delete',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'nv8nb-net-'));
    await chmod(dir, 0o755);
    sh(['ip', 'netns', 'add', HOST]);
    sh(['ip', 'netns', 'add', PEER]);
    try {
      sh(['ip', '-n', HOST, 'link', 'add', 'nvbup', 'type', 'veth', 'peer', 'name', 'nvbpeer', 'netns', PEER]);
      sh(['ip', '-n', HOST, 'link', 'set', 'nvbup', 'up']);
      const spec = { name: 'nvbnet', profile: 'nat' as const, uplinks: ['nvbup'], subnet: '10.123.0.1/24' };
      const mgr = new NetworkManager({
        stateDir: join(dir, 'state'),
        runDir: join(dir, 'run'),
        runner: new ProcessRunner().inNetns(HOST),
        nftTable: TABLE,
        ifPrefix: 'nvb',
        upstreamDns: false,
      });
      await mgr.start();
      const nova = async () => {
        await mgr.create(spec);
        await mgr.delete(spec.name);
      };

      // The raw sequence: what an expert would type for the same bridge, rules and dnsmasq.
      const config = planNetwork(NetworkSpecSchema.parse(spec), { existing: [], ifPrefix: 'nvb', overlayDrivers: [] });
      const paths = dnsmasqPaths(join(dir, 'raw'));
      await mkdir(paths.dir, { recursive: true, mode: 0o755 });
      await writeFile(paths.conf, renderDnsmasqConf(config, paths, { upstreamDns: false }), { mode: 0o644 });
      await writeFile(paths.dhcpHosts, '', { mode: 0o644 });
      await writeFile(paths.hosts, '', { mode: 0o644 });
      const rules = renderRuleset([config], TABLE);
      const noRules = renderRuleset([], TABLE);
      const exec = (argv: string[], input?: string) => sh(['ip', 'netns', 'exec', HOST, ...argv], input);
      const raw = async () => {
        exec(['ip', '-batch', '-'], `link add name nvbnet type bridge stp_state 0 forward_delay 0\naddr add 10.123.0.1/24 brd + dev nvbnet\nlink set dev nvbnet up\n`);
        exec(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
        exec(['nft', '-f', '-'], rules);
        exec(['dnsmasq', `--conf-file=${paths.conf}`]);
        let pid = 0;
        for (let i = 0; i < 250 && !pid; i++) {
          pid = Number((await readFile(paths.pidFile, 'utf8').catch(() => '')).trim());
          if (!pid) await sleep(2);
        }
        process.kill(pid, 'SIGTERM');
        while ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) !== '') await sleep(2);
        await rm(paths.pidFile, { force: true });
        exec(['ip', 'link', 'del', 'nvbnet']);
        exec(['nft', '-f', '-'], noRules);
      };

      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < 4; round++) {
        a.push(...(await timeIt(nova, 5, round === 0 ? 2 : 0)));
        b.push(...(await timeIt(raw, 5, round === 0 ? 2 : 0)));
      }
      return { name: this.name, nova: summarize(a), raw: summarize(b), unit: 'ms', target: 1.5 };
    } finally {
      for (const pid of await pidsUnder(dir)) process.kill(pid, 'SIGKILL');
      sh(['ip', 'netns', 'del', HOST]);
      sh(['ip', 'netns', 'del', PEER]);
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function pidsUnder(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    if ((await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')).includes(dir)) out.push(Number(e));
  }
  return out;
}
