// `nova plan` against the real helper (in a test-host namespace): a project with a NAT
// network, two capsules and a direct-kernel-boot VM, brought up one resource at a time
// with `nova run` (which marks each as the project's), then planned: no change; a capsule
// stopped by hand is drift; a capsule's memory edited in the file restarts that capsule
// only; a capsule added is one create, one removed one delete; a forward deleted and the
// bridge removed by hand are drift; --exit-code says 3 or 0.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { ProjectPlan } from '../../src-shared/project.js';
import type { TestGuest } from './fixtures/guest-builder.js';
import { novaIn, startProjectLab, stopProjectLab, type ProjectLab } from './fixtures/project-lab.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(3).toString('hex');
const NS = `nv9p${RUN}`;
const NET = `nv9p${RUN}`;
const IMAGE = `nv9p-${RUN}-busybox`;
const DB = `nv9p-${RUN}-db`;
const WEB = `nv9p-${RUN}-web`;
const EXTRA = `nv9p-${RUN}-extra`;
const VM = `nv9p-${RUN}-vm`;
const capsules = [DB, WEB, EXTRA];
const SUBNET = `10.96.${parseInt(RUN.slice(0, 2), 16) % 250}`;
const FORWARD_PORT = 18000 + (parseInt(RUN.slice(2, 4), 16) % 1000);
let lab: ProjectLab | null = null;
let dir = '';
let client: HelperClient;
let guest: TestGuest;

const capsuleTable = (name: string, memory = '64Mi') => `[capsule.${name}]
capsule = "${IMAGE}"
command = ["sleep", "600"]
memory = "${memory}"
network = "${NET}"
`;

function novaFile(opts: { webMemory?: string; extra?: boolean; withoutWeb?: boolean } = {}): string {
  return [
    'project = "nv9p"\n',
    `[network.${NET}]\nsubnet = "${SUBNET}.1/24"\nforwards = ["${FORWARD_PORT}:${SUBNET}.10:80"]\n`,
    capsuleTable(DB),
    opts.withoutWeb ? '' : capsuleTable(WEB, opts.webMemory),
    opts.extra ? capsuleTable(EXTRA) : '',
    `[vm.${VM}]
kernel = "${guest.vmlinux}"
initrd = "${guest.initrdPlain}"
cmdline = "${guest.cmdline}"
memory = "256Mi"
accel = "tcg"
display = "none"
depends_on = ["${DB}"]
`,
  ].join('\n');
}

const nova = (...args: string[]) => novaIn(lab, ...args);

async function plan(file = novaFile()): Promise<{ status: number; plan: ProjectPlan; text: string }> {
  await writeFile(join(dir, 'NovaFile.toml'), file);
  const json = await nova('plan', '--json', '--exit-code');
  expect(json.stderr).toBe('');
  const text = await nova('plan');
  return { status: json.status, plan: JSON.parse(json.stdout) as ProjectPlan, text: text.stdout };
}

const summary = (p: ProjectPlan) => p.changes.map((c) => `${c.class} ${c.kind} ${c.name} ${c.fields.map((f) => `${f.field}:${f.old}->${f.new}`).join(',')}`.trim());

beforeAll(async () => {
  lab = await startProjectLab(`nv9p-${RUN}`, NS, IMAGE);
  ({ dir, client, guest } = lab);
  await writeFile(join(dir, 'NovaFile.toml'), novaFile());
  for (const [kind, name] of [['container', DB], ['container', WEB], ['vm', VM]] as const) {
    const r = await nova('run', kind, name);
    if (r.status !== 0) throw new Error(`nova run ${kind} ${name}: ${r.stderr}`);
  }
}, 600_000);

afterAll(async () => {
  await stopProjectLab(lab, NS, { vms: [VM], capsules, networks: [NET] });
}, 120_000);

describe('nova plan on a running project', () => {
  it('marks what nova run made as the project\'s own, and then plans no change (exit 0)', async () => {
    expect((await client.call('network.get', { name: NET })).project).toBe('nv9p');
    expect((await client.call('capsule.get', { name: DB })).spec.project).toBe('nv9p');
    expect((await client.call('vm.get', { name: VM })).definition.project).toBe('nv9p');
    const inspect = await nova('capsule', 'inspect', DB);
    expect(inspect.stdout).toContain('project: nv9p\n');
    const { status, plan: p, text } = await plan();
    expect(summary(p)).toEqual([]);
    expect(p.clashes).toEqual([]);
    expect(p.unchanged).toHaveLength(4);
    expect(status).toBe(0);
    expect(text).toContain('No changes: the 4 resource(s) of project nv9p match the file.');
  });

  it('shows a capsule stopped by hand as drift to start again (exit 3)', async () => {
    // sleep ignores SIGTERM as PID 1: no grace period to sit through.
    await client.call('capsule.stop', { name: DB, timeoutSec: 0 });
    try {
      const { status, plan: p, text } = await plan();
      expect(summary(p)).toEqual([`update capsule ${DB} state:stopped->running`]);
      expect(p.changes[0]?.fields[0]?.drift).toBe(true);
      expect(status).toBe(3);
      expect(text).toContain(`update in place (1):\n  ~ capsule ${DB}\n      state: stopped -> running  (changed outside the file)\n`);
    } finally {
      await client.call('capsule.start', { name: DB });
      await waitFor(async () => (await client.call('capsule.get', { name: DB })).state === 'running', 20_000, `${DB} running again`);
    }
  });

  it("restarts only the capsule whose memory changed in the file", async () => {
    const { status, plan: p, text } = await plan(novaFile({ webMemory: '96Mi' }));
    expect(summary(p)).toEqual([`restart capsule ${WEB} memory:64 MiB->96 MiB`]);
    expect(status).toBe(3);
    expect(text).toContain(`update with restart (1):\n  ~ capsule ${WEB}\n      memory: 64 MiB -> 96 MiB\n`);
  });

  it('creates a capsule added to the file, and deletes one the file no longer declares', async () => {
    const added = await plan(novaFile({ extra: true }));
    expect(summary(added.plan)).toEqual([`create capsule ${EXTRA}`]);
    expect(added.status).toBe(3);
    const removed = await plan(novaFile({ withoutWeb: true }));
    expect(summary(removed.plan)).toEqual([`delete capsule ${WEB}`]);
    expect(removed.status).toBe(3);
    // Planning changed nothing: the file as it was still plans clean.
    expect((await plan()).status).toBe(0);
  });

  it('shows a forward deleted by hand, and the bridge gone from the host, as changes to restore', async () => {
    await client.call('network.forwardRemove', { network: NET, hostPort: FORWARD_PORT });
    const forward = await plan();
    expect(summary(forward.plan)).toEqual([`update network ${NET} forwards:null->${FORWARD_PORT}/tcp -> ${SUBNET}.10:80`]);
    execFileSync('ip', ['-n', NS, 'link', 'del', NET]);
    const gone = await plan();
    expect(gone.plan.changes).toHaveLength(1);
    expect(gone.plan.changes[0]?.fields[0]).toEqual({ field: 'status', old: `down: bridge ${NET} is missing`, new: 'active', class: 'update', drift: true });
    expect(gone.status).toBe(3);
  });
});
