// Shared setup for the capsule benchmarks: a throwaway nv5f dir with a busybox image, a
// CapsuleManager over the real runc and conmon, raw bundles made from the config Nova
// writes (own overlay rootfs, own cgroup), and a teardown that removes everything.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CapsuleManager } from '../helper/src/capsule/capsule-manager.js';
import { ImageStore } from '../helper/src/capsule/image-store.js';
import { overlayMountArgv } from '../helper/src/capsule/runtime-argv.js';
import { runtimeResolver } from '../helper/src/capsule/runtime-resolver.js';
import { realHostProbeEnv } from '../helper/src/host-check/host-probe-env.js';
import { OperationManager } from '../helper/src/operations/operation-manager.js';
import { ProcessRunner } from '../helper/src/process/process-runner.js';
import { silentLogger } from '../helper/src/util/logger.js';
import { makeBusyboxRootfs, removeCapsuleTestState } from '../helper/system-tests/fixtures/capsule-harness.js';

/** A spec as a user writes it, parsed by the contract as the helper's boundary would. */
export { capsuleSpec } from '../helper/system-tests/fixtures/contract-params.js';

export const IMAGE = 'nv5f-busybox';

export interface CapsuleBenchRun {
  dir: string;
  tag: string;
  capsules: CapsuleManager;
  images: ImageStore;
  /** runc --root of the raw runs (never the manager's). */
  rawRoot: string;
  /** cgroupsPath parent shared by Nova's and the raw containers, removed at cleanup. */
  cgroupParent: string;
  /** A bundle for raw container `id`: Nova's config.json for `capsule` with its own overlay rootfs and cgroup. */
  rawBundle: (capsule: string, id: string, args?: string[]) => Promise<string>;
  cleanup: () => Promise<void>;
}

export async function capsuleBenchRun(): Promise<CapsuleBenchRun> {
  if (process.getuid?.() !== 0) throw new Error('The capsule benchmarks need root (runc, overlay mounts, cgroups): run npm run bench as root');
  const tag = `nv5f-${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), `${tag}-`));
  const stateDir = join(dir, 'state');
  const rawRoot = join(dir, 'raw-runc');
  const cgroupParent = `/${tag}`;
  const runner = new ProcessRunner();
  const operations = new OperationManager({ logger: silentLogger(), emit: () => undefined });
  const images = new ImageStore({ stateDir, runner, operations });
  let capsules: CapsuleManager | null = null;
  const cleanup = async () => {
    await capsules?.close();
    removeRawContainers(rawRoot);
    await removeCapsuleTestState(dir, stateDir, [cgroupParent]);
  };
  try {
    await mkdir(stateDir, { mode: 0o700 });
    await mkdir(rawRoot, { mode: 0o700 });
    await images.import(await makeBusyboxRootfs(dir), IMAGE);
    capsules = new CapsuleManager({
      stateDir,
      images,
      runner,
      operations,
      // The runtime entry the helper really installs, built by .ci/build-node.mjs before the benchmarks.
      runtimeWrapper: resolve('out/helper/nova-runtime-run'),
      logger: silentLogger(),
      runtime: 'runc',
      resolveRuntime: runtimeResolver(realHostProbeEnv()),
      volumeRoots: [dir],
      containerIdPrefix: `${tag}-`,
      cgroupParent,
    });
    await capsules.recover();
  } catch (err) {
    await cleanup();
    throw err;
  }
  const image = await images.get(IMAGE);
  const rawBundle = async (capsule: string, id: string, args?: string[]): Promise<string> => {
    const bundle = join(dir, 'raw', id);
    for (const d of ['rootfs', 'upper', 'work']) await mkdir(join(bundle, d), { recursive: true });
    const [mount, ...mountArgs] = overlayMountArgv(images.rootfsPath(image.id), join(bundle, 'upper'), join(bundle, 'work'), join(bundle, 'rootfs')) as [string, ...string[]];
    execFileSync(mount, mountArgs);
    const config = JSON.parse(await readFile(join(stateDir, 'capsules', capsule, 'bundle', 'config.json'), 'utf8')) as {
      process: { args: string[] };
      linux: { cgroupsPath?: string };
    };
    config.linux.cgroupsPath = `${cgroupParent}/${id}`;
    if (args) config.process.args = args;
    await writeFile(join(bundle, 'config.json'), JSON.stringify(config));
    return bundle;
  };
  return { dir, tag, capsules: capsules as CapsuleManager, images, rawRoot, cgroupParent, rawBundle, cleanup };
}

/**
 * Runs runc until it exits; stdout drained from a pipe as a monitor does. A detached
 * container (`run -d`) inherits runc's stdio, so it waits for runc's exit, not the pipes.
 */
export function runc(args: string[], timeoutMs = 30_000): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('runc', args, { stdio: ['ignore', args.includes('-d') ? 'ignore' : 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout?.resume();
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once(args.includes('-d') ? 'exit' : 'close', (code: number | null) => {
      clearTimeout(timer);
      child.stderr?.destroy();
      if (code !== 0) reject(new Error(`runc ${args.join(' ')} failed (${code}): ${stderr.trim()}`));
      else resolvePromise(code);
    });
  });
}

function rawIds(root: string): string[] {
  try {
    const list = JSON.parse(execFileSync('runc', ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' }) || 'null') as { id: string }[] | null;
    return (list ?? []).map((c) => c.id);
  } catch {
    return [];
  }
}

/** Kills and deletes every raw container under `root`. */
export function removeRawContainers(root: string): void {
  for (const id of rawIds(root)) {
    try {
      execFileSync('runc', ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
    } catch {
      // gone meanwhile
    }
  }
}
