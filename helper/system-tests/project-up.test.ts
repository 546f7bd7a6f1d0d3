// `nova up`, `nova ps` and `nova down` against the real helper in a test-host namespace:
// a NAT network, a capsule db with an exec health check, a capsule web that waits for db
// to be healthy, and a direct-kernel-boot VM with a serial health check. Then a memory
// change restarts web only, db stopped by hand is restored, down leaves no bridge, rule,
// container or QEMU and keeps the data unless --volumes; and the refusals: a cycle, an
// unknown dependency, a failed dependency, a check that never passes, a clash, Ctrl+C.
// A helper without health probes (before they land) reports health null: the parts that
// need a verdict are skipped then, and web waits for db "started" instead.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { PsRow } from '../../src-main/core/project/project-ps.js';
import type { ProjectPlan } from '../../src-shared/project.js';
import { GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { novaIn, startProjectLab, stopProjectLab, type ProjectLab } from './fixtures/project-lab.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const P = `nv9u-${RUN}`;
const NS = `nv9u${RUN}`;
const NET = `nv9u${RUN}`;
const IMAGE = `${P}-busybox`;
const DB = `${P}-db`;
const WEB = `${P}-web`;
const VM = `${P}-vm`;
const JOB = `${P}-job`;
const AFTER = `${P}-after`;
const SICK = `${P}-sick`;
const WAITER = `${P}-waiter`;
const CLASH = `${P}-clash`;
const SLOW = `${P}-slow`;
const PROBE = `${P}-probe`;
const capsules = [DB, WEB, JOB, AFTER, SICK, WAITER, CLASH, PROBE];
const vms = [VM, SLOW];
const SUBNET = `10.97.${parseInt(RUN.slice(0, 2), 16) % 250}`;
let lab: ProjectLab | null = null;
let dir = '';
let client: HelperClient;
let guest: TestGuest;
/** Whether this helper runs health probes (health on capsules and VMs is non-null). */
let probes = false;

const capsuleTable = (name: string, body: string) => `[capsule.${name}]\ncapsule = "${IMAGE}"\n${body}\n`;
const vmTable = (name: string, extra = '') => `[vm.${name}]
kernel = "${guest.vmlinux}"
initrd = "${guest.initrdPlain}"
cmdline = "${guest.cmdline}"
memory = "256Mi"
accel = "tcg"
display = "none"
${extra}`;

function novaFile(o: { webMemory?: string; extra?: string } = {}): string {
  return [
    'project = "nv9u"\n',
    `[network.${NET}]\nsubnet = "${SUBNET}.1/24"\n`,
    capsuleTable(DB, `command = ["sleep", "600"]\nmemory = "64Mi"\nnetwork = "${NET}"\n[capsule.${DB}.health]\nexec = ["test", "-d", "/tmp"]\ninterval = "1s"\nretries = 1\n`),
    capsuleTable(
      WEB,
      `command = ["sleep", "600"]\nmemory = "${o.webMemory ?? '64Mi'}"\nnetwork = "${NET}"\ndepends_on.${DB} = { condition = "${probes ? 'healthy' : 'started'}" }\n[capsule.${WEB}.health]\nexec = ["true"]\ninterval = "1s"\nretries = 1\n`,
    ),
    vmTable(VM, `[vm.${VM}.health]\nserial = "${GUEST_READY_MARKER}"\ninterval = "1s"\nretries = 1\n`),
    o.extra ?? '',
  ].join('\n');
}

const nova = (...args: string[]) => novaIn(lab, ...args);

async function withFile(text: string): Promise<void> {
  await writeFile(join(dir, 'NovaFile.toml'), text);
}

async function planOf(): Promise<ProjectPlan> {
  const r = await nova('plan', '--json');
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as ProjectPlan;
}

const summary = (p: ProjectPlan) => p.changes.map((c) => `${c.class} ${c.kind} ${c.name}`);
const exists = (method: 'capsule.get' | 'vm.get', name: string) => client.call(method, { name }).then(() => true, () => false);
/** QEMU processes of this run whose command line names the VM. */
async function qemuOf(name: string): Promise<number[]> {
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  return (await pidsMentioning(dir)).filter((pid) => cmdline(pid).includes('qemu-system') && cmdline(pid).includes(name));
}

beforeAll(async () => {
  lab = await startProjectLab(P, NS, IMAGE);
  ({ dir, client, guest } = lab);
  // Does this helper probe health? A capsule whose check passes at once tells within seconds.
  await client.call('capsule.create', { name: PROBE, image: IMAGE, command: ['sleep', '60'], health: { probe: { kind: 'exec', command: ['true'] }, intervalMs: 500, timeoutMs: 1000, retries: 1, startPeriodMs: 0 } });
  await client.call('capsule.start', { name: PROBE });
  probes = await waitFor(async () => (await client.call('capsule.get', { name: PROBE })).health !== null, 8000, 'a health verdict').then(() => true, () => false);
  await client.call('capsule.delete', { name: PROBE, force: true });
  if (!probes) console.warn('project-up: this helper reports no health; the health verdict checks are skipped and web waits for db "started"');
}, 600_000);

afterAll(async () => {
  await stopProjectLab(lab, NS, { vms, capsules, networks: [NET] });
}, 180_000);

describe('nova up of a project', () => {
  it('plans 4 creates, then brings them up in order, web only after db is healthy', async () => {
    await withFile(novaFile());
    expect(summary(await planOf())).toEqual([`create network ${NET}`, `create vm ${VM}`, `create capsule ${DB}`, `create capsule ${WEB}`]);
    const up = await nova('up', '--yes');
    expect(up.stderr).not.toMatch(/failed/);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain('Plan: 4 to create; 0 unchanged.');
    expect(up.stdout).toContain('Applied 4 change(s).');
    const out = up.stdout;
    expect(out.indexOf(`network ${NET}: created`)).toBeLessThan(out.indexOf(`capsule ${DB}: creating`));
    expect(out.indexOf(`capsule ${DB}: created`)).toBeLessThan(out.indexOf(`capsule ${WEB}: creating`));
    const db = await client.call('capsule.get', { name: DB });
    const web = await client.call('capsule.get', { name: WEB });
    expect([db.state, web.state]).toEqual(['running', 'running']);
    const dbReady = probes ? db.health?.since : db.startedAt;
    expect(dbReady).toBeTruthy();
    expect(Date.parse(web.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(dbReady ?? ''));
    expect((await client.call('vm.get', { name: VM })).state).toBe('running');
    expect(summary(await planOf())).toEqual([]);
  });

  it('lists every resource with state, health and address in nova ps', async (ctx) => {
    const json = await nova('ps', '--json');
    const rows = (JSON.parse(json.stdout) as { resources: PsRow[] }).resources;
    expect(rows.map((r) => `${r.kind} ${r.name} ${r.state}`).sort()).toEqual([`capsule ${DB} running`, `capsule ${WEB} running`, `network ${NET} active`, `vm ${VM} running`].sort());
    expect(rows.find((r) => r.name === DB)?.address).toMatch(new RegExp(`^${SUBNET.replaceAll('.', '\\.')}\\.\\d+ on ${NET}$`));
    const table = await nova('ps');
    expect(table.stdout).toMatch(/^KIND +NAME +STATE +HEALTH +ADDRESS\n/);
    if (!probes) return ctx.skip();
    const guests = async () => (JSON.parse((await nova('ps', '--json')).stdout) as { resources: PsRow[] }).resources.filter((r) => r.kind !== 'network');
    // The VM's check passes once the guest prints its ready line on the serial console.
    await waitFor(async () => (await guests()).every((r) => r.health === 'healthy'), 60_000, 'every guest healthy in nova ps').catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await guests())}`);
    });
    expect((await nova('ps')).stdout).toMatch(new RegExp(`capsule +${DB} +running +healthy +${SUBNET.replaceAll('.', '\\.')}`));
  });

  it("restarts only web when its memory changes, and up applies it", async () => {
    const dbStarted = (await client.call('capsule.get', { name: DB })).startedAt;
    await withFile(novaFile({ webMemory: '96Mi' }));
    const p = await planOf();
    expect(p.changes.map((c) => `${c.class} ${c.name} ${c.fields.map((f) => f.field).join(',')}`)).toEqual([`restart ${WEB} memory`]);
    expect((await nova('plan')).stdout).toContain(`update with restart (1):\n  ~ capsule ${WEB}\n      memory: 64 MiB -> 96 MiB\n`);
    const up = await nova('up', '--yes');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    const web = await client.call('capsule.get', { name: WEB });
    expect([web.state, web.spec.memoryBytes]).toEqual(['running', 96 * 1024 * 1024]);
    expect((await client.call('capsule.get', { name: DB })).startedAt).toBe(dbStarted);
    expect(summary(await planOf())).toEqual([]);
  });

  it('shows db stopped by hand as drift, and up starts it again', async () => {
    await client.call('capsule.stop', { name: DB, timeoutSec: 0 });
    const p = await planOf();
    expect(p.changes.map((c) => `${c.class} ${c.name} ${c.fields.map((f) => `${f.field}:${f.old}->${f.new}:${f.drift}`).join(',')}`)).toEqual([`update ${DB} state:stopped->running:true`]);
    const up = await nova('up', '--yes');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect((await client.call('capsule.get', { name: DB })).state).toBe('running');
    expect(summary(await planOf())).toEqual([]);
  });

  it('repairs the network whose bridge was removed by hand, its guests still on it', async () => {
    execFileSync('ip', ['-n', NS, 'link', 'del', NET]);
    const p = await planOf();
    expect(p.changes.map((c) => `${c.class} ${c.kind} ${c.name} ${c.fields.map((f) => f.field).join(',')}`)).toEqual([`update network ${NET} status`]);
    const up = await nova('up', '--yes');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/repairing/);
    expect(execFileSync('ip', ['-n', NS, '-o', 'link', 'show', 'master', NET]).toString()).toContain('@');
    expect(summary(await planOf())).toEqual([]);
    expect((await client.call('capsule.get', { name: WEB })).health?.status).toBe('healthy');
  });
});

describe('what nova up refuses or stops at', () => {
  it('refuses a cycle and an unknown depends_on at their line, changing nothing', async () => {
    const cycle = novaFile().replace(`[capsule.${DB}]\n`, `[capsule.${DB}]\ndepends_on = ["${WEB}"]\n`);
    await withFile(cycle);
    const r = await nova('up', '--yes');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`NovaFile\\.toml:\\d+:\\d+: .*depends_on makes a cycle: .*${DB}`));
    await withFile(novaFile().replace(`[capsule.${DB}]\n`, `[capsule.${DB}]\ndepends_on = ["${P}-nothing"]\n`));
    const u = await nova('up', '--yes');
    expect(u.status).toBe(1);
    expect(u.stderr).toMatch(/NovaFile\.toml:\d+:\d+: .*depends_on names ".*-nothing", which is no VM or capsule of this file/);
    expect((await client.call('capsule.get', { name: DB })).state).toBe('running');
  });

  it('does not start the dependents of a failed dependency, and says which', async () => {
    const extra = capsuleTable(JOB, 'command = ["sh", "-c", "exit 3"]') + capsuleTable(AFTER, `command = ["sleep", "600"]\ndepends_on.${JOB} = { condition = "completed" }`);
    await withFile(novaFile({ webMemory: '96Mi', extra }));
    const r = await nova('up', '--yes', AFTER);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`capsule ${JOB}: created`);
    expect(r.stdout).toContain(`failed: capsule ${AFTER}: not started: capsule ${JOB} did not complete: exit code 3`);
    expect(r.stdout).toContain('nova up stopped short');
    expect(await exists('capsule.get', AFTER)).toBe(false);
  });

  it('names the timeout of a health check that never passes', async () => {
    const extra =
      capsuleTable(SICK, `command = ["sleep", "600"]\n[capsule.${SICK}.health]\nexec = ["false"]\ninterval = "1s"\ntimeout = "1s"\nretries = 1`) +
      capsuleTable(WAITER, `command = ["sleep", "600"]\ndepends_on.${SICK} = { condition = "healthy" }`);
    await withFile(novaFile({ webMemory: '96Mi', extra }));
    const r = await nova('up', '--yes', WAITER);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`failed: capsule ${WAITER}: not started: capsule ${SICK} was not healthy within 4 s, the health check's budget`));
    expect(await exists('capsule.get', WAITER)).toBe(false);
  });

  it('refuses a name held by an unmanaged capsule, naming it, and applies nothing', async () => {
    await client.call('capsule.create', { name: CLASH, image: IMAGE, command: ['sleep', '60'] });
    await withFile(novaFile({ webMemory: '96Mi', extra: capsuleTable(CLASH, 'command = ["sleep", "600"]') + vmTable(SLOW) }));
    const r = await nova('up', '--yes');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`nothing applied: capsule ${CLASH} already exists as an unmanaged one (made outside any project)`);
    expect(await exists('vm.get', SLOW)).toBe(false);
    expect((await client.call('capsule.get', { name: CLASH })).spec.project).toBeUndefined();
    await client.call('capsule.delete', { name: CLASH, force: true });
  });

  it('cancels on Ctrl+C mid-way: the operation in flight is undone, what completed stays, exit 130', async () => {
    await withFile(novaFile({ webMemory: '96Mi', extra: vmTable(SLOW) }));
    const cli = spawn(process.execPath, [CLI_BUNDLE, '--socket', lab!.helper.socketPath, '--no-autostart', 'up', '--yes', SLOW], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    try {
      // vm.start waits for the guest's first serial output: an operation that runs for seconds under TCG.
      await waitFor(() => stdout.includes(`vm ${SLOW}: starting`), 60_000, `"vm ${SLOW}: starting"`);
      await waitFor(async () => (await client.call('operation.list', {})).operations.some((o) => o.kind === 'vm.start' && o.state === 'running'), 20_000, 'the vm.start operation');
      cli.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      expect(code).toBe(130);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
    }
    expect(stdout).toContain('Cancelled:');
    // The create completed and stays; the start was undone: no QEMU, nothing running.
    const slow = await client.call('vm.get', { name: SLOW });
    expect(slow.state).toBe('stopped');
    expect(await qemuOf(SLOW)).toEqual([]);
    expect((await client.call('operation.list', {})).operations.filter((o) => o.state === 'running')).toEqual([]);
    // Running nova up again converges.
    const again = await nova('up', '--yes', SLOW);
    expect(again.status).toBe(0);
    expect((await client.call('vm.get', { name: SLOW })).state).toBe('running');
  });
});

describe('nova down', () => {
  it('stops everything in reverse order, deletes the network, keeps the data; --volumes deletes it', async () => {
    await withFile(novaFile({ webMemory: '96Mi', extra: vmTable(SLOW) }));
    const down = await nova('down');
    expect(down.status).toBe(0);
    expect(down.stdout.indexOf(`capsule ${WEB}: stopping`)).toBeLessThan(down.stdout.indexOf(`capsule ${DB}: stopping`));
    expect(down.stdout).toContain(`network ${NET}: deleting`);
    expect(execFileSync('ip', ['-n', NS, '-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain(NET);
    expect(execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' })).not.toContain(NET);
    expect(execFileSync('runc', ['--root', join(dir, 'state', 'runc'), 'list', '-q'], { encoding: 'utf8' }).trim()).toBe('');
    expect(await qemuOf(VM)).toEqual([]);
    expect(await qemuOf(SLOW)).toEqual([]);
    // Kept: the capsules with their writable layers, the VMs with their definitions.
    for (const name of [DB, WEB]) {
      expect((await client.call('capsule.get', { name })).state).toBe('stopped');
      expect(existsSync(join(dir, 'state', 'capsules', name))).toBe(true);
    }
    expect((await client.call('vm.get', { name: VM })).state).toBe('stopped');
    const gone = await nova('down', '--volumes');
    expect(gone.status).toBe(0);
    for (const name of [DB, WEB, JOB]) expect(await exists('capsule.get', name)).toBe(false);
    for (const name of [VM, SLOW]) expect(await exists('vm.get', name)).toBe(false);
    expect(existsSync(join(dir, 'state', 'capsules', DB))).toBe(false);
  });
});
