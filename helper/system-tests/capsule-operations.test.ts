// The capsule engine's operations through the real helper: a pull from a local registry
// (Debian's docker-registry on 127.0.0.1) frozen halfway and cancelled, through
// operation.cancel and through Ctrl+C in `nova image pull`, leaves no blob, no temp folder,
// no image and no skopeo behind; a snapshot archiving a big layer holds the capsule, so a
// stop or a delete meanwhile is refused as `locked`, naming it, and its cancel leaves no
// archive and a thawed capsule. skopeo and tar are fast on this host: the tests freeze
// them (SIGSTOP) where they are to act while they work, and let them go on (SIGCONT).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { Operation } from '../../src-shared/operation.js';
import { bytesUnder } from '../src/capsule/pull-meter.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { startRegistry, type LocalRegistry } from './fixtures/local-registry.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const IMAGE = 'nv8c-busybox';
const SNAP = 'nv8c-snap';
let dir = '';
let helper: RunningHelper;
let client: HelperClient;
let registry: LocalRegistry | null = null;
let bigRef = '';
const seen: Operation[] = [];
const varTmpBefore = new Set<string>();

/** Processes whose command line starts with `program` and has every one of `words` among its arguments or in them. */
function processes(program: string, ...words: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
      const args = cmd.split('\0');
      if (args[0]?.endsWith(program) && words.every((w) => args.some((a) => a.includes(w))) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const imagesDir = () => join(helper.stateDir, 'capsule-images');

/** What a pull may have left in the image store: anything but its signature policy and the images listed. */
async function leftovers(keep: readonly string[]): Promise<string[]> {
  return (await readdir(imagesDir())).filter((f) => f !== 'policy.json' && !keep.includes(f));
}

function resume(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // killed by the cancel already
  }
}

/**
 * Waits for `program` working on `needle` and freezes it; for a skopeo copy, lets it run a
 * few milliseconds at a time until bytes have landed in the pull's temp layout: halfway.
 */
async function freeze(program: string, words: string[], halfway: (() => Promise<boolean>) | null): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [pid] = processes(program, ...words);
    if (pid !== undefined) {
      process.kill(pid, 'SIGSTOP');
      while (halfway && !(await halfway())) {
        if (Date.now() > deadline) throw new Error(`${program} wrote nothing within 30 s`);
        process.kill(pid, 'SIGCONT');
        await new Promise((r) => setTimeout(r, 3));
        process.kill(pid, 'SIGSTOP');
      }
      return pid;
    }
    if (Date.now() > deadline) throw new Error(`${program} did not start within 30 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Some MiB of the 48 have landed in the pull's temp layout (skopeo fills a temp file, then renames it). */
async function pullTempBytes(): Promise<boolean> {
  const tmp = (await readdir(imagesDir()).catch(() => [])).find((f) => f.startsWith('.tmp-'));
  return tmp !== undefined && (await bytesUnder(join(imagesDir(), tmp, 'oci'))) > 4 * 1024 * 1024;
}

function lastOf(name: string): Operation | undefined {
  return seen.filter((o) => o.resource.name === name).at(-1);
}

beforeAll(async () => {
  dir = await makeTestDir('nv8c-ops');
  for (const f of readdirSync('/var/tmp')) varTmpBefore.add(f);
  await mkdir(join(dir, 'vols'));
  // An image worth pulling for a while: 48 MiB that gzip cannot shrink, in one layer.
  await mkdir(join(dir, 'big-rootfs'));
  await writeFile(join(dir, 'big-rootfs', 'blob.bin'), randomBytes(48 * 1024 * 1024));
  execFileSync('tar', ['--create', '--file', join(dir, 'big.tar'), '--directory', join(dir, 'big-rootfs'), '.']);
  const rootfsTar = await makeBusyboxRootfs(dir);
  registry = await startRegistry(dir);
  bigRef = await registry.push(join(dir, 'big.tar'), 'nv8c/big:1', ['true']);
  helper = await startHelper(dir, { extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--volume-root', join(dir, 'vols'), '--oci-runtime', 'runc'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.onEvent((e) => e.name === 'operation.changed' && seen.push(e.payload));
  client.start();
  await client.waitForConnection();
  await client.call('ociImage.import', { path: rootfsTar, name: IMAGE });
}, 180_000);

afterAll(async () => {
  try {
    for (const pid of [...processes('skopeo', dir || '/nonexistent'), ...processes('tar', dir || '/nonexistent')]) process.kill(pid, 'SIGKILL');
    await client?.call('capsule.delete', { name: SNAP, force: true }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    registry?.stop();
    if (dir) await removeHelperCapsuleState(dir, [SNAP]);
  }
});

describe('a pull is an operation', () => {
  it('is refused as locked while it copies, and a cancel halfway leaves no blob, no temp folder, no image', async () => {
    const kept = await leftovers([]);
    let opId = '';
    const pulling = client.call('ociImage.pull', { reference: bigRef, tlsVerify: false, name: 'nv8c-big' }, { onOperation: (id) => (opId = id) });
    pulling.catch(() => undefined);
    const skopeo = await freeze('skopeo', ['copy', `${registry!.port}/nv8c/big`], pullTempBytes);
    // The meter samples the layout a few times a second.
    const copying = await waitFor(async () => {
      const op = seen.find((o) => o.id === opId && /^copying blob/.test(o.progress.phase) && (o.progress.bytesDone ?? 0) > 0);
      return op ?? null;
    }, 10_000, 'bytes copied in the progress');
    expect(copying).toMatchObject({ kind: 'ociImage.pull', resource: { kind: 'ociImage', name: 'nv8c-big:latest' }, title: `pull of ${bigRef}`, owner: { uid: 0 }, state: 'running', cancellable: true });
    expect(copying.progress.bytesTotal).toBeGreaterThan(copying.progress.bytesDone!);

    const second = client.call('ociImage.pull', { reference: bigRef, tlsVerify: false, name: 'nv8c-big' });
    await expect(second).rejects.toMatchObject({
      code: 'locked',
      message: expect.stringMatching(/^Image nv8c-big:latest is busy: pull of 127\.0\.0\.1:\d+\/nv8c\/big:1 \(started \d+ s ago by uid 0\)$/),
      details: { operationId: opId },
    });

    expect(await client.call('operation.cancel', { id: opId })).toMatchObject({ id: opId, cancelRequested: true });
    resume(skopeo);
    await expect(pulling).rejects.toMatchObject({ code: 'cancelled', message: `pull of ${bigRef} as image nv8c-big:latest was cancelled; nothing was kept` });
    expect(await client.call('operation.get', { id: opId })).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    expect(await leftovers(kept)).toEqual([]);
    expect((await client.call('ociImage.list', {})).images.map((i) => i.name)).not.toContain('nv8c-big:latest');
    expect(processes('skopeo', String(registry!.port))).toEqual([]);
    // What skopeo keeps aside while copying went into the pull's own temp folder.
    expect(readdirSync('/var/tmp').filter((f) => !varTmpBefore.has(f) && f.startsWith('container_images'))).toEqual([]);
  });

  it('nova image pull: Ctrl+C cancels the operation, and nothing of the pull is left', async () => {
    const kept = await leftovers([]);
    const cli = spawn(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', 'image', 'pull', bigRef, '--insecure', '--name', 'nv8c-cli'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    try {
      const skopeo = await freeze('skopeo', ['copy', `${registry!.port}/nv8c/big`], pullTempBytes);
      // Without a terminal the CLI writes one line per phase.
      await waitFor(async () => stderr.includes(`pull of ${bigRef}: copying blob`), 30_000, `the CLI's progress line (stderr: ${stderr})`);
      cli.kill('SIGINT');
      await waitFor(async () => lastOf('nv8c-cli:latest')?.cancelRequested === true, 10_000, 'the cancel request');
      resume(skopeo);
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(code).toBe(1);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
    }
    expect(stderr).toMatch(/cancelling/);
    expect(stderr).toMatch(/pull of \S+\/nv8c\/big:1 as image nv8c-cli:latest was cancelled; nothing was kept; cancelled at your request \[cancelled\]/);
    expect(lastOf('nv8c-cli:latest')).toMatchObject({ kind: 'ociImage.pull', state: 'cancelled' });
    expect(await leftovers(kept)).toEqual([]);
    expect(processes('skopeo', String(registry!.port))).toEqual([]);
  });

  it('pulls the whole image when left alone, its bytes counted against the total', async () => {
    let opId = '';
    const img = await client.call('ociImage.pull', { reference: bigRef, tlsVerify: false, name: 'nv8c-big' }, { onOperation: (id) => (opId = id) });
    expect(img).toMatchObject({ name: 'nv8c-big:latest', source: 'pull' });
    const mine = seen.filter((o) => o.id === opId);
    const total = mine.find((o) => o.progress.bytesTotal !== null)?.progress.bytesTotal;
    expect(total).toBeGreaterThan(48 * 1024 * 1024);
    // Progress events within a phase are spaced out: the counts seen never pass the total.
    expect(mine.every((o) => (o.progress.bytesDone ?? 0) <= total!)).toBe(true);
    expect(mine.at(-1)).toMatchObject({ state: 'succeeded', progress: { phase: 'done', fraction: 1 } });
    await client.call('ociImage.remove', { name: 'nv8c-big' });
  });
});

describe('a long capsule operation holds the capsule', () => {
  it('refuses a stop and a delete during a snapshot, naming it; a cancel leaves no archive and a thawed capsule', async () => {
    await client.call('capsule.create', { name: SNAP, image: IMAGE, command: ['sleep', '600'], stopTimeoutSec: 1 });
    await client.call('capsule.start', { name: SNAP });
    // 96 MiB in the writable layer: an archive that takes a while.
    const filled = await client.call('capsule.exec', { name: SNAP, command: ['sh', '-c', 'head -c 100663296 /dev/urandom > /root/big && echo filled'], timeoutSec: 120 });
    expect(filled.stdout).toBe('filled\n');
    let opId = '';
    const snapping = client.call('capsule.snapshotCreate', { name: SNAP, snapshot: 'big' }, { onOperation: (id) => (opId = id) });
    snapping.catch(() => undefined);
    const tar = await freeze('tar', ['--create', join('capsules', SNAP)], null);
    const archiving = await waitFor(async () => seen.find((o) => o.id === opId && o.progress.phase === 'archiving the writable layer') ?? null, 10_000, 'the archiving phase');
    expect(archiving).toMatchObject({ kind: 'capsule.snapshotCreate', resource: { kind: 'capsule', name: SNAP }, title: "snapshot 'big'", cancellable: true });

    const busy = { code: 'locked', message: expect.stringMatching(/^Capsule nv8c-snap is busy: snapshot 'big' \(started \d+ s ago by uid 0\)$/), details: { operationId: opId } };
    await expect(client.call('capsule.stop', { name: SNAP })).rejects.toMatchObject(busy);
    await expect(client.call('capsule.delete', { name: SNAP, force: true })).rejects.toMatchObject(busy);
    // Reading is never held up.
    expect((await client.call('capsule.get', { name: SNAP })).state).toBe('running');

    await client.call('operation.cancel', { id: opId });
    resume(tar);
    await expect(snapping).rejects.toMatchObject({ code: 'cancelled', message: "snapshot 'big' of capsule nv8c-snap was cancelled; nothing was kept" });
    const snapshots = join(helper.stateDir, 'capsules', SNAP, 'snapshots');
    expect(await readdir(snapshots)).toEqual([]);
    expect((await client.call('capsule.snapshotList', { name: SNAP })).snapshots).toEqual([]);
    // Thawed: it runs commands again, and the lock is free for a stop.
    expect((await client.call('capsule.exec', { name: SNAP, command: ['echo', 'alive'] })).stdout).toBe('alive\n');
    expect((await client.call('capsule.stop', { name: SNAP })).state).toBe('stopped');
    expect(existsSync(join(snapshots, 'big.tar.tmp'))).toBe(false);
  });
});
