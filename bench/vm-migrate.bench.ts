// Live migration of a 256 MiB TCG guest with a 64 MiB qcow2 disk between two test hosts:
// `migrateVm` (the caller's orchestration over both helpers: offer, the destination's
// checks, disks, one-off TLS credentials and paused QEMU, NBD + blockdev-mirror, migrate,
// finish, the source removed) against the same migration driven by hand with
// qemu-system-x86_64 -incoming defer and QMP: certtool, qemu-img create, the same TLS, NBD
// export, mirror and migrate, then cont. The guest goes back and forth, so every run moves
// a running guest. Reported twice from the same runs: the total time, and the downtime
// QEMU's query-migrate states on the source.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureTestGuest, GUEST_READY_MARKER } from '../helper/system-tests/fixtures/guest-builder.js';
import { buildQemuArgv } from '../helper/src/vm/qemu-argv.js';
import { certTemplates, certtoolArgv } from '../helper/src/vm/migration-tls.js';
import { QmpClient } from '../helper/src/vm/qmp-client.js';
import { VmLayout } from '../helper/src/vm/vm-layout.js';
import { migrateVm } from '../src-main/core/hosts/vm-migration.js';
import type { VmDefinition } from '../src-shared/vm.js';
import { summarize, waitForSocket, type Benchmark, type BenchResult } from './bench-harness.js';
import { ADDRESSES, MigrationBenchHosts, type Side } from './migration-bench-hosts.js';
import { sleep, spawnRaw, waitForText, type RawQemu } from './vm-bench-fixture.js';

const NAME = 'nv6mb-guest';
const RAW = 'nv6mb-raw';
const DISK_BYTES = 64 * 1024 * 1024;
/** Both ways: each helper's first migration pays its one-time probes. */
const WARMUP = 2;
const ROUNDS = 2;
const PER_ROUND = 2;
const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

interface Measure {
  totalMs: number;
  downtimeMs: number;
}

let measured: Promise<{ nova: Measure[]; raw: Measure[] }> | null = null;

function measure(): Promise<{ nova: Measure[]; raw: Measure[] }> {
  measured ??= run();
  return measured;
}

async function run(): Promise<{ nova: Measure[]; raw: Measure[] }> {
  const guest = await ensureTestGuest();
  const bench = await MigrationBenchHosts.start([dirname(guest.vmlinux)]);
  try {
    const { a } = bench.hosts;
    await a.client.call('vm.create', { name: NAME, memory: '256Mi', accel: 'tcg', display: 'none', diskSize: '64Mi', kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline });
    const created = await a.client.call('vm.start', { name: NAME });
    await waitForText((await a.client.call('vm.consoleInfo', { name: NAME })).serialLog, GUEST_READY_MARKER);
    let novaAt: Side = 'a';
    const nova = async (): Promise<Measure> => {
      const to = other(novaAt);
      const report = await migrateVm({ source: bench.hosts[novaAt].client, destination: bench.hosts[to].client }, { name: NAME, listen: ADDRESSES[to], postcopy: false });
      novaAt = to;
      return { totalMs: report.wallMs, downtimeMs: report.downtimeMs };
    };
    const raw = new RawMigration(bench, { ...created.definition, name: RAW }, guest.cmdline);
    await raw.boot('a');
    try {
      for (let i = 0; i < WARMUP; i++) {
        await nova();
        await raw.migrate();
      }
      const out = { nova: [] as Measure[], raw: [] as Measure[] };
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < PER_ROUND; i++) out.nova.push(await nova());
        for (let i = 0; i < PER_ROUND; i++) out.raw.push(await raw.migrate());
      }
      process.stderr.write(`migration runs: nova ${JSON.stringify(out.nova)}\n  raw ${JSON.stringify(out.raw)}\n`);
      return out;
    } finally {
      await raw.stop();
    }
  } finally {
    await bench.cleanup();
  }
}

/** The same guest moved by hand: QEMU and QMP only, as a person following QEMU's documentation would. */
class RawMigration {
  private at: Side = 'a';
  private qemu: RawQemu | null = null;
  private qmp: QmpClient | null = null;
  private round = 0;

  constructor(
    private readonly bench: MigrationBenchHosts,
    private readonly def: VmDefinition,
    private readonly cmdline: string,
  ) {}

  private layout(side: Side): VmLayout {
    const root = join(this.bench.dir, `raw-${side}`);
    return new VmLayout(root, join(root, 'run'));
  }

  private async spawn(side: Side, incoming: boolean): Promise<{ qemu: RawQemu; qmp: QmpClient; def: VmDefinition }> {
    const layout = this.layout(side);
    await mkdir(layout.vmRunDir(RAW), { recursive: true });
    await mkdir(layout.vmDir(RAW), { recursive: true });
    const disk = join(layout.vmDir(RAW), 'disk0.qcow2');
    await rm(disk, { force: true });
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, String(DISK_BYTES)]);
    const def: VmDefinition = { ...this.def, disks: this.def.disks.map((d) => ({ ...d, path: disk })), kernel: this.def.kernel ? { ...this.def.kernel, cmdline: this.cmdline } : null };
    const paths = layout.runtimePaths(RAW);
    const argv = buildQemuArgv({ qemuBinary: 'qemu-system-x86_64', def, accel: 'tcg', paths, vncWebsocketPort: null, ovmfCode: null, paused: incoming, incoming });
    const files = [{ path: disk, readOnly: false }, { path: def.kernel!.kernel, readOnly: true }, { path: def.kernel!.initrd!, readOnly: true }];
    const qemu = spawnRaw(this.bench.inNetns(side, argv), files);
    await waitForSocket(paths.qmpSocket);
    const qmp = await QmpClient.connect(paths.qmpSocket, { timeoutMs: 30_000 });
    return { qemu, qmp, def };
  }

  async boot(side: Side): Promise<void> {
    const { qemu, qmp } = await this.spawn(side, false);
    this.qemu = qemu;
    this.qmp = qmp;
    this.at = side;
    await waitForText(this.layout(side).runtimePaths(RAW).serialLog, GUEST_READY_MARKER);
  }

  async migrate(): Promise<Measure> {
    const to = other(this.at);
    const t0 = process.hrtime.bigint();
    const creds = join(this.bench.dir, `raw-creds-${this.round++}`);
    await mkdir(creds, { mode: 0o700 });
    const t = certTemplates(ADDRESSES[to]);
    await writeFile(join(creds, 'ca.info'), t.ca);
    await writeFile(join(creds, 'server.info'), t.server);
    await writeFile(join(creds, 'client.info'), t.client);
    for (const argv of certtoolArgv(creds)) execFileSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    const dst = await this.spawn(to, true);
    // A new id each time: the QEMU that arrived keeps its server credentials when it moves on.
    const tlsId = `tls${this.round}`;
    const tls = { 'qom-type': 'tls-creds-x509', id: tlsId, dir: creds, 'verify-peer': true };
    const [migrationPort, nbdPort] = [49_152 + (this.round % 1000) * 2, 49_153 + (this.round % 1000) * 2];
    await dst.qmp.execute('object-add', { ...tls, endpoint: 'server' });
    await dst.qmp.execute('nbd-server-start', { addr: { type: 'inet', data: { host: ADDRESSES[to], port: String(nbdPort) } }, 'tls-creds': tlsId });
    await dst.qmp.execute('block-export-add', { type: 'nbd', id: 'e0', 'node-name': 'disk0', name: 'disk0', writable: true });
    await dst.qmp.execute('migrate-set-parameters', { 'tls-creds': tlsId });
    await dst.qmp.execute('migrate-incoming', { uri: `tcp:${ADDRESSES[to]}:${migrationPort}` });
    const src = this.qmp!;
    await src.execute('object-add', { ...tls, endpoint: 'client' });
    await src.execute('blockdev-add', { driver: 'nbd', 'node-name': 't0', server: { type: 'inet', host: ADDRESSES[to], port: String(nbdPort) }, export: 'disk0', 'tls-creds': tlsId });
    await src.execute('blockdev-mirror', { 'job-id': 'm0', device: 'disk0', target: 't0', sync: 'full' });
    while (!(await src.queryJobs()).some((j) => j.id === 'm0' && j.status === 'ready')) await sleep(20);
    await src.execute('migrate-set-parameters', { 'tls-creds': tlsId, 'tls-hostname': ADDRESSES[to], 'max-bandwidth': 1024 ** 4 });
    await src.execute('migrate', { uri: `tcp:${ADDRESSES[to]}:${migrationPort}` });
    let info: { status?: string; downtime?: number; 'error-desc'?: string };
    for (;;) {
      info = await src.execute('query-migrate');
      if (info.status === 'completed') break;
      if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`raw migration ${info.status}: ${info['error-desc'] ?? ''}`);
      await sleep(20);
    }
    await src.execute('block-job-cancel', { device: 'm0' });
    while ((await src.queryJobs()).some((j) => j.id === 'm0')) await sleep(10);
    await dst.qmp.execute('nbd-server-stop');
    await dst.qmp.cont();
    const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
    src.close();
    await this.qemu?.kill();
    await rm(creds, { recursive: true, force: true });
    this.qemu = dst.qemu;
    this.qmp = dst.qmp;
    this.at = to;
    return { totalMs, downtimeMs: info.downtime ?? 0 };
  }

  async stop(): Promise<void> {
    this.qmp?.close();
    await this.qemu?.kill();
  }
}

function result(name: string, pick: (m: Measure) => number, target: number): (all: { nova: Measure[]; raw: Measure[] }) => BenchResult {
  return (all) => ({ name, nova: summarize(all.nova.map(pick)), raw: summarize(all.raw.map(pick)), unit: 'ms', target });
}

export const vmMigrateTotal: Benchmark = {
  name: 'VM live migration, total',
  run: async () => result('VM live migration, total', (m) => m.totalMs, 1.2)(await measure()),
};

export const vmMigrateDowntime: Benchmark = {
  name: 'VM live migration, downtime',
  run: async () => result('VM live migration, downtime', (m) => m.downtimeMs, 1.5)(await measure()),
};
