// Bridge throughput: a bounded TCP transfer between two guests (network namespaces
// joined through NetworkManager's veths to a Nova bridge, as capsules are) against the
// same transfer over one direct veth pair. No iperf here: a Node sender and receiver run
// in the guests with `ip netns exec`; the receiver times first byte to end. Reported as
// transfer time, so the ratio target 1.11 is throughput >= 0.9 of the direct pair.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkManager } from '../helper/src/network/network-manager.js';
import { ProcessRunner } from '../helper/src/process/process-runner.js';
import { pairedRuns, type Benchmark } from './bench-harness.js';
import { pidsMentioning } from './vm-bench-fixture.js';

const NS = { host: 'nv8nb-thost', g1: 'nv8nb-tg1', g2: 'nv8nb-tg2', r1: 'nv8nb-tr1', r2: 'nv8nb-tr2' };
const BYTES = 256 * 1024 * 1024;
const PORT = 5201;
const ROUNDS = 3;
const PER_ROUND = 3;
const TRANSFER_TIMEOUT_MS = 60_000;

const RECEIVER = `
const net = require('node:net');
const srv = net.createServer((s) => {
  let bytes = 0; let t0 = 0n;
  s.on('data', (d) => { if (bytes === 0) t0 = process.hrtime.bigint(); bytes += d.length; });
  s.on('end', () => { process.stdout.write(JSON.stringify({ bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6 }) + '\\n'); process.exit(0); });
});
srv.listen(Number(process.argv[1]), '0.0.0.0', () => process.stdout.write('ready\\n'));
`;
const SENDER = `
const net = require('node:net');
const total = Number(process.argv[3]);
const chunk = Buffer.alloc(1024 * 1024, 120);
const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) }, () => {
  let sent = 0;
  const pump = () => { while (sent < total) { sent += chunk.length; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  pump();
});
s.on('error', (e) => { process.stderr.write(String(e)); process.exit(1); });
`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
}

/** One transfer of BYTES from `from` to `to`'s address; milliseconds as the receiver saw them. */
async function transfer(from: string, to: string, address: string): Promise<number> {
  const recv = spawn('ip', ['netns', 'exec', to, process.execPath, '-e', RECEIVER, String(PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      recv.kill('SIGKILL');
      reject(new Error(`transfer ${from} -> ${to} did not finish within ${TRANSFER_TIMEOUT_MS} ms`));
    }, TRANSFER_TIMEOUT_MS);
    recv.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready') && !out.includes('sending')) {
        out += 'sending';
        const send = spawn('ip', ['netns', 'exec', from, process.execPath, '-e', SENDER, address, String(PORT), String(BYTES)], { stdio: 'ignore' });
        send.once('exit', (code) => code !== 0 && reject(new Error(`sender exited with ${code}`)));
      }
    });
    recv.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  const text = await done;
  const result = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as { bytes: number; ms: number };
  if (result.bytes !== BYTES) throw new Error(`received ${result.bytes} of ${BYTES} bytes`);
  return result.ms;
}

export const networkThroughput: Benchmark = {
  name: 'bridge throughput (256 MiB time)',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'nv8nb-tput-'));
    await chmod(dir, 0o755);
    for (const ns of Object.values(NS)) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    try {
      const mgr = new NetworkManager({
        stateDir: join(dir, 'state'),
        runDir: join(dir, 'run'),
        runner: new ProcessRunner().inNetns(NS.host),
        nftTable: 'nvbnova',
        ifPrefix: 'nvb',
        upstreamDns: false,
      });
      await mgr.start();
      await mgr.create({ name: 'nvbtnet', profile: 'internal', subnet: '10.124.0.1/24', dhcp: false });
      await mgr.attach({ network: 'nvbtnet', resource: 'g1', kind: 'veth', netns: NS.g1, address: '10.124.0.11/24' });
      await mgr.attach({ network: 'nvbtnet', resource: 'g2', kind: 'veth', netns: NS.g2, address: '10.124.0.12/24' });
      // The direct pair: the same two ends, no bridge between them.
      ip('-n', NS.r1, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS.r2);
      ip('-n', NS.r1, 'addr', 'add', '10.125.0.1/24', 'dev', 'eth0');
      ip('-n', NS.r2, 'addr', 'add', '10.125.0.2/24', 'dev', 'eth0');
      ip('-n', NS.r1, 'link', 'set', 'eth0', 'up');
      ip('-n', NS.r2, 'link', 'set', 'eth0', 'up');

      const { nova, raw } = await pairedRuns(
        () => transfer(NS.g1, NS.g2, '10.124.0.12'),
        () => transfer(NS.r1, NS.r2, '10.125.0.2'),
        { warmup: 1, rounds: ROUNDS, perRound: PER_ROUND },
      );
      const mbps = (ms: number) => ((BYTES / (ms / 1000)) * 8) / 1e9;
      process.stderr.write(`  throughput p50: Nova bridge ${mbps(nova.p50).toFixed(2)} Gbit/s, direct veth ${mbps(raw.p50).toFixed(2)} Gbit/s (${(raw.p50 / nova.p50).toFixed(3)} of direct)\n`);
      await mgr.delete('nvbtnet');
      return { name: this.name, nova, raw, unit: 'ms', target: 1.11 };
    } finally {
      for (const pid of await pidsMentioning(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      for (const ns of Object.values(NS).reverse()) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      await rm(dir, { recursive: true, force: true });
    }
  },
};
