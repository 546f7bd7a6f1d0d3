// `nova export` against the real helper (in a test-host namespace): a NAT network with a
// forward, two capsules with env, ports, volumes and limits, and a direct-kernel-boot VM.
// Those made for project nv9k export with --project and plan as no change (exit 0); a
// capsule made outside any project exports too, plans as a clash until `--adopt` makes
// it the project's, and then plans as no change.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { ProjectPlan } from '../../src-shared/project.js';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { ensureTestGuest } from './fixtures/guest-builder.js';
import { removeProjectTestState } from './fixtures/project-teardown.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NS = `nv9k${RUN}`;
const NET = `nv9k${RUN}`;
const IMAGE = `nv9k-${RUN}-busybox`;
const DB = `nv9k-${RUN}-db`;
const LOOSE = `nv9k-${RUN}-loose`;
const VM = `nv9k-${RUN}-vm`;
const PROJECT = 'nv9k';
const capsules = [DB, LOOSE];
const SUBNET = `10.97.${parseInt(RUN.slice(0, 2), 16) % 250}`;
const PORT = 19000 + (parseInt(RUN.slice(2, 4), 16) % 500);
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;

async function nova(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [CLI_BUNDLE, '--socket', helper?.socketPath ?? '', '--no-autostart', ...args], {
    cwd: dir,
    reject: false,
    timeout: 120_000,
    stripFinalNewline: false,
    env: { NO_COLOR: '1' },
  });
  return { status: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Exports with `args`, writes the file, and plans it. */
async function exportAndPlan(file: string, ...args: string[]) {
  const exported = await nova('export', ...args);
  expect(exported.status, exported.stderr).toBe(0);
  await writeFile(join(dir, file), exported.stdout);
  const json = await nova('plan', '-f', file, '--json');
  expect(json.stderr).toBe('');
  const exit = await nova('plan', '-f', file, '--exit-code');
  return { exported, plan: JSON.parse(json.stdout) as ProjectPlan, exit };
}

beforeAll(async () => {
  const guest = await ensureTestGuest();
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  dir = await makeTestDir(`nv9k-${RUN}`);
  await mkdir(join(dir, 'vols', 'data'), { recursive: true });
  const tar = await makeBusyboxRootfs(dir);
  helper = await startHelper(dir, {
    netns: NS,
    extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--allowed-root', '/var/cache/nova-test-guest', '--volume-root', join(dir, 'vols'), '--oci-runtime', 'runc'],
  });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  await client.call('ociImage.import', { path: tar, name: IMAGE });
  await client.call('network.create', { name: NET, subnet: `${SUBNET}.1/24`, forwards: [`${PORT}:${SUBNET}.10:80`], project: PROJECT });
  const limits = { command: ['sleep', '600'], memory: '64Mi', cpus: 0.5, pids: 64, network: NET, restart: 'on-failure:2' };
  await client.call('capsule.create', {
    name: DB, image: IMAGE, ...limits, env: { MODE: 'primary', GREETING: 'hello "world"' }, ports: [`${PORT + 1}:5432`], autostart: {},
    volumes: [`${join(dir, 'vols', 'data')}:/data`, `${join(dir, 'vols')}:/etc/extra:ro`], workdir: '/data', project: PROJECT,
  });
  await client.call('capsule.create', { name: LOOSE, image: IMAGE, ...limits, env: { ROLE: 'cache' }, ports: [`${PORT + 2}:6379/udp`] });
  await client.call('vm.create', { name: VM, kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline, memory: 256, accel: 'tcg', display: 'none', network: { nova: NET }, project: PROJECT });
  await client.call('vm.update', { name: VM, shares: [`${join(dir, 'vols')}:/mnt/vols:ro`], autostart: { order: 1, delaySeconds: 5 }, restart: 'on-crash' });
  for (const name of capsules) await client.call('capsule.start', { name });
  await client.call('vm.start', { name: VM });
  await waitFor(async () => (await client.call('capsule.list', {})).capsules.filter((c) => capsules.includes(c.name) && c.state === 'running').length === 2, 30_000, 'both capsules running');
}, 600_000);

afterAll(() => removeProjectTestState(client, helper, dir, { vms: [VM], capsules, networks: [NET], netns: [NS] }), 120_000);

describe('nova export', () => {
  it("writes the project's network, capsule and VM as a NovaFile that plans as no change (exit 0)", async () => {
    const { exported, plan, exit } = await exportAndPlan('project.toml', '--project', PROJECT);
    const text = exported.stdout;
    expect(text).toContain(`project = "${PROJECT}"\n`);
    expect(text).toContain(`[network.${NET}]\nsubnet = "${SUBNET}.1/24"\n`);
    expect(text).toContain(`forwards = [ "${PORT}:${SUBNET}.10:80" ]\n`);
    expect(text).toContain(`[capsule.${DB}]\ncapsule = "${IMAGE}"\ncommand = [ "sleep", "600" ]\n`);
    expect(text).toContain(`ports = [ "${PORT + 1}:5432" ]\ncpu = 0.5\nmemory = "64Mi"\npids = 64\nrestart = "on-failure:2"\nworkdir = "/data"\n`);
    expect(text).toContain(`volumes = [ "${join(dir, 'vols', 'data')}:/data", "${join(dir, 'vols')}:/etc/extra:ro" ]\n`);
    expect(text).toContain(`[capsule.${DB}.env]\nMODE = "primary"\nGREETING = "hello \\"world\\""\n`);
    expect(text).toContain(`[vm.${VM}]\nkernel = "`);
    expect(text).toContain(`memory = "256Mi"\naccel = "tcg"\ndisplay = "none"\nnetwork = "${NET}"\nshares = [ "${join(dir, 'vols')}:/mnt/vols:ro" ]\nrestart = "on-crash"\n`);
    expect(text).toContain(`[vm.${VM}.autostart]\norder = 1\ndelay = "5s"\n`);
    expect(text).toMatch(/\nworkdir = "\/data"\nautostart = true\n/);
    expect(text).not.toContain(LOOSE);
    // Addresses, MACs and pids the engine chose are not written.
    const addresses = (await client.call('network.get', { name: NET })).attachments.flatMap((a) => [a.mac, a.address].filter((x): x is string => !!x));
    for (const value of addresses) expect(text).not.toContain(value);
    expect(plan.changes).toEqual([]);
    expect(plan.clashes).toEqual([]);
    expect(plan.unchanged.map((u) => `${u.kind} ${u.name}`).sort()).toEqual([`capsule ${DB}`, `network ${NET}`, `vm ${VM}`]);
    expect(exit.status).toBe(0);
    expect(exit.stdout).toContain(`No changes: the 3 resource(s) of project ${PROJECT} match the file.`);
  }, 180_000);

  it('exports a capsule of no project, which plans as a clash until --adopt makes it the project\'s', async () => {
    // Named alone, it is exported for the project of the network it joins.
    const loose = await exportAndPlan('loose.toml', LOOSE);
    expect(loose.exported.stdout).toContain(`project = "${PROJECT}"\n`);
    expect(loose.exported.stderr).toContain(`capsule ${LOOSE} belong to no project, so nova plan reports them as clashes; run again with --adopt`);
    expect(loose.exported.stdout).toContain(`[capsule.${LOOSE}]`);
    expect(loose.exported.stdout).toContain(`[network.${NET}]`); // the network it joins comes along
    expect(loose.plan.clashes.map((c) => c.name)).toEqual([LOOSE]);

    const adopted = await nova('export', LOOSE, '--adopt');
    expect(adopted.stderr).toBe(`nova export: capsule ${LOOSE} now belong to project ${PROJECT}\n`);
    expect((await client.call('capsule.get', { name: LOOSE })).spec.project).toBe(PROJECT);
    // The whole project now, adopted capsule included: no change.
    const whole = await exportAndPlan('whole.toml', '--project', PROJECT);
    expect(whole.exported.stderr).toBe('');
    expect(whole.plan.changes).toEqual([]);
    expect(whole.plan.clashes).toEqual([]);
    expect(whole.plan.unchanged).toHaveLength(4);
    expect(whole.exit.status).toBe(0);
    expect(await readFile(join(dir, 'whole.toml'), 'utf8')).toContain(`ports = [ "${PORT + 2}:6379/udp" ]`);
  }, 180_000);
});
