// `nova up` of a project with one NAT network and five capsules, timed as a user sees it
// (the whole CLI process, from start to every capsule running), against one shell script
// that does the same kernel work by hand: `ip -batch` for the bridge and the veth pairs,
// `nft -f` with the very ruleset Nova loaded, dnsmasq with Nova's config, and `runc run -d`
// of Nova's own config.json per capsule (without its user namespace, which a hand-written
// script would not set up). Both run in a throwaway network namespace (nv9ub…).
// What Nova does beyond the script, and keeps (so the ratio counts it): each capsule in
// its own user namespace (with the two sysctls that namespace needs for ping and low
// ports), a conmon per capsule keeping its output and exit code (the script sends both to
// /dev/null), fsynced records and start intents, and the CLI's own start and plan.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { HelperClient } from '../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from '../helper/system-tests/fixtures/capsule-harness.js';
import { pidsMentioning } from '../helper/system-tests/network-harness.js';
import { removeRawContainers } from './capsule-bench-fixture.js';
import { pairedRuns, type Benchmark, waitForSocket } from './bench-harness.js';

const CAPSULES = 5;

interface OciConfig {
  root: { path: string };
  linux: { cgroupsPath?: string; namespaces: { type: string; path?: string }[]; uidMappings?: unknown; gidMappings?: unknown };
  process: { user: { uid: number; gid: number } };
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
}

export const projectUp: Benchmark = {
  name: 'nova up, network + 5 capsules',
  async run() {
    if (process.getuid?.() !== 0) throw new Error('The project benchmark runs a helper with networks and capsules: run npm run bench as root');
    const tag = `nv9ub${randomBytes(2).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), `${tag}-`));
    const ns = tag;
    const net = tag;
    const names = Array.from({ length: CAPSULES }, (_, i) => `${tag}-c${i}`);
    const socketPath = join(dir, 'helper.sock');
    const stateDir = join(dir, 'state');
    const rawRoot = join(dir, 'raw-runc');
    const inNs = (argv: string[]) => execFileSync('nsenter', [`--net=/run/netns/${ns}`, ...argv], { encoding: 'utf8', timeout: 30_000 });
    execFileSync('ip', ['netns', 'add', ns]);
    const helperArgs = ['out/helper/nova-helper.mjs', '--socket', socketPath, '--state-dir', stateDir, '--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc', '--log-level', 'warn'];
    const helper = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, ...helperArgs], { stdio: 'ignore' });
    const client = new HelperClient({ socketPath, reconnect: false });
    let script: { up: string; down: string } | null = null;
    try {
      await waitForSocket(socketPath);
      client.start();
      await client.waitForConnection();
      await client.call('ociImage.import', { path: await makeBusyboxRootfs(dir), name: `${tag}-busybox` });
      const file = join(dir, 'NovaFile.toml');
      const tables = names.map((n) => `[capsule.${n}]\ncapsule = "${tag}-busybox"\ncommand = ["sleep", "600"]\nnetwork = "${net}"\n`);
      await writeFile(file, [`project = "${tag}"`, `[network.${net}]\nsubnet = "10.98.7.1/24"\n`, ...tables].join('\n'));
      const novaDown = async () => {
        for (const name of names) await client.call('capsule.delete', { name, force: true }).catch(() => undefined);
        await client.call('network.delete', { name: net }).catch(() => undefined);
      };
      const up = async () => {
        const t0 = process.hrtime.bigint();
        const r = await execa(process.execPath, ['out/cli/nova.mjs', '--socket', socketPath, '--no-autostart', 'up', '--yes', '-f', file], { reject: false, timeout: 120_000 });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.exitCode !== 0 || !String(r.stdout).includes(`Applied ${CAPSULES + 1} change(s).`)) throw new Error(`nova up: ${String(r.stderr)}${String(r.stdout).slice(-400)}`);
        return ms;
      };

      // One nova up to learn what Nova does, then the script that does it by hand.
      await up();
      const ruleset = inNs(['nft', 'list', 'ruleset']);
      await copyDnsmasq(join(dir, 'run'), join(dir, 'raw-dnsmasq'));
      const configs = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(stateDir, 'capsules', n, 'bundle', 'config.json'), 'utf8')) as OciConfig));
      const rootfs = join(stateDir, 'capsule-images');
      await novaDown();
      script = await rawScript({ dir, net, names, configs, ruleset, rawRoot, lower: await imageRootfs(rootfs) });
      const raw = async () => {
        const t0 = process.hrtime.bigint();
        inNs(['bash', script!.up]);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        inNs(['bash', script!.down]);
        return ms;
      };
      const nova = async () => {
        const ms = await up();
        await novaDown();
        return ms;
      };
      const { nova: a, raw: b } = await pairedRuns(nova, raw, { warmup: 1, rounds: 3, perRound: 1 });
      return { name: this.name, nova: a, raw: b, unit: 'ms', target: 1.5 };
    } finally {
      client.close();
      // Whatever a failed run left; each step tolerates what is already gone.
      if (script) execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'bash', script.down], { stdio: 'ignore', timeout: 30_000 });
      removeRawContainers(rawRoot);
      helper.kill('SIGTERM');
      await new Promise((r) => helper.once('exit', r));
      // A run that failed half-way may leave the helper's dnsmasq: it names our folder.
      for (const pid of await pidsMentioning(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      // The capsules' own namespaces too, even those of a run that failed half-way.
      await removeHelperCapsuleState(dir, names, [ns]);
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** The unpacked image's rootfs, the overlay's lower layer for the raw containers. */
async function imageRootfs(imagesDir: string): Promise<string> {
  for (const id of await readdir(imagesDir)) {
    const rootfs = join(imagesDir, id, 'bundle', 'rootfs');
    if (await readdir(rootfs).then(() => true, () => false)) return rootfs;
  }
  throw new Error(`no unpacked image under ${imagesDir}`);
}

/** Nova's dnsmasq folder copied to the raw run's own (hosts files, config with its paths moved). */
async function copyDnsmasq(runDir: string, rawDir: string): Promise<void> {
  for (const e of await readdir(runDir, { recursive: true })) {
    if (!String(e).endsWith('dnsmasq.conf')) continue;
    const novaDir = join(runDir, String(e), '..');
    await cp(novaDir, rawDir, { recursive: true });
    await rm(join(rawDir, 'dnsmasq.pid'), { force: true });
    const conf = join(rawDir, 'dnsmasq.conf');
    await writeFile(conf, (await readFile(conf, 'utf8')).replaceAll(novaDir, rawDir));
    return;
  }
  throw new Error(`no dnsmasq.conf under ${runDir}`);
}

interface ScriptInput {
  dir: string;
  net: string;
  names: string[];
  configs: OciConfig[];
  ruleset: string;
  rawRoot: string;
  lower: string;
}

/** Writes up.sh (timed) and down.sh (not timed) and returns their paths. */
async function rawScript(o: ScriptInput): Promise<{ up: string; down: string }> {
  const raw = join(o.dir, 'raw');
  const dns = join(o.dir, 'raw-dnsmasq');
  await writeFile(join(raw + '-rules.nft'), o.ruleset);
  const hostBatch = [`link add name ${o.net} type bridge stp_state 0 forward_delay 0`, `addr add 10.98.7.1/24 brd + dev ${o.net}`, `link set dev ${o.net} up`];
  const lines = ['set -e', `ip -batch - <<'EOF'\n${hostBatch.join('\n')}\nEOF`, 'sysctl -q -w net.ipv4.ip_forward=1', `nft -f ${raw}-rules.nft`, `dnsmasq --conf-file=${join(dns, 'dnsmasq.conf')}`];
  const down = [`pkill -F ${join(dns, 'dnsmasq.pid')} || true`];
  const batch: string[] = [];
  for (const [i, name] of o.names.entries()) {
    const id = `${name}-raw`;
    const nsName = `${o.net}r${i}`;
    const bundle = join(raw, id);
    for (const d of ['rootfs', 'upper', 'work']) await mkdir(join(bundle, d), { recursive: true });
    const config = o.configs[i]!;
    config.root.path = join(bundle, 'rootfs');
    config.linux.cgroupsPath = `/${o.net}/${id}`;
    config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'user').map((n) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${nsName}` } : n));
    delete config.linux.uidMappings;
    delete config.linux.gidMappings;
    config.process.user = { uid: 0, gid: 0 };
    config.mounts = config.mounts.filter((m) => !m.source.startsWith(o.dir));
    await writeFile(join(bundle, 'config.json'), JSON.stringify(config));
    batch.push(`netns add ${nsName}`, `link add ${o.net}v${i} type veth peer name eth0 netns ${nsName}`, `link set ${o.net}v${i} master ${o.net} up`);
    lines.push(
      `mount -t overlay overlay -o lowerdir=${o.lower},upperdir=${join(bundle, 'upper')},workdir=${join(bundle, 'work')} ${join(bundle, 'rootfs')}`,
      `ip -n ${nsName} -batch - <<'EOF'\naddr add 10.98.7.${10 + i}/24 dev eth0\nlink set eth0 up\nlink set lo up\nroute add default via 10.98.7.1\nEOF`,
      `runc --root ${o.rawRoot} run -d --bundle ${bundle} ${id} </dev/null >/dev/null 2>&1`,
    );
    down.push(`runc --root ${o.rawRoot} delete --force ${id} || true`, `umount ${join(bundle, 'rootfs')} || true`, `rm -rf ${join(bundle, 'upper')} ${join(bundle, 'work')}; mkdir -p ${join(bundle, 'upper')} ${join(bundle, 'work')}`, `ip netns delete ${nsName} || true`);
  }
  // The veths and namespaces go in one batch before any container starts.
  lines.splice(5, 0, `ip -batch - <<'EOF'\n${batch.join('\n')}\nEOF`);
  down.push(`ip link del ${o.net} || true`, 'nft flush ruleset', `rmdir /sys/fs/cgroup/*/${o.net}/* /sys/fs/cgroup/*/${o.net} 2>/dev/null || true`);
  const up = join(o.dir, 'up.sh');
  const downPath = join(o.dir, 'down.sh');
  await writeFile(up, lines.join('\n') + '\n');
  await writeFile(downPath, down.join('\n') + '\n');
  return { up, down: downPath };
}
