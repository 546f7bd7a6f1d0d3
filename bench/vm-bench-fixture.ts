// Shared setup for the VM benchmarks: a VmManager on a throwaway state dir (nvb-vm-…),
// the raw QEMU argv for the same definition, QMP-ready and serial-marker probes that
// the raw runs use, and a teardown that kills every QEMU started under the dir.
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../helper/src/util/logger.js';
import { OperationManager } from '../helper/src/operations/operation-manager.js';
import { buildQemuArgv, passedFiles, type PassedFile } from '../helper/src/vm/qemu-argv.js';
import { VmLayout } from '../helper/src/vm/vm-layout.js';
import { VmManager } from '../helper/src/vm/vm-manager.js';
import type { VmDefinition } from '../src-shared/vm.js';

/** A spec as a user writes it, parsed by the contract as the helper's boundary would. */
export { vmSpec } from '../helper/system-tests/fixtures/contract-params.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface VmBenchRun {
  dir: string;
  vms: VmManager;
  /** Where raw QEMU runs keep their sockets and logs (never the manager's). */
  rawLayout: VmLayout;
  cleanup: () => Promise<void>;
}

export async function vmBenchRun(allowedRoots: string[]): Promise<VmBenchRun> {
  const dir = await mkdtemp(join(tmpdir(), 'nvb-vm-'));
  const vms = new VmManager({
    stateDir: join(dir, 'state'),
    runDir: join(dir, 'run'),
    allowedRoots: [dir, ...allowedRoots],
    hostAccelerator: async () => 'tcg',
    logger: silentLogger(),
    operations: new OperationManager({ logger: silentLogger(), emit: () => undefined }),
  });
  await vms.init();
  return {
    dir,
    vms,
    rawLayout: new VmLayout(join(dir, 'raw'), join(dir, 'rawrun')),
    cleanup: async () => {
      await vms.detachAll();
      for (const pid of await pidsMentioning(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The argv Nova would use for `def`, pointed at the raw layout's paths. */
/** A file QEMU gets as a descriptor: the benchmark VMs have no backing files. */
function pathOf(def: VmDefinition, f: PassedFile): string {
  const path = f.disk === 'iso' ? def.iso : f.disk === 'kernel' ? def.kernel?.kernel : f.disk === 'initrd' ? def.kernel?.initrd : f.level === 0 ? def.disks.find((d) => d.id === f.disk)?.path : undefined;
  if (!path) throw new Error(`the benchmark VM has no file for ${f.node}`);
  return path;
}

/** The same command line Nova runs, with the same files opened and handed over as its fds 3, 4, ... */
export async function rawArgv(run: VmBenchRun, def: VmDefinition): Promise<{ argv: string[]; files: Array<{ path: string; readOnly: boolean }>; qmpSocket: string; serialLog: string }> {
  const paths = run.rawLayout.runtimePaths(def.name);
  await mkdir(run.rawLayout.vmRunDir(def.name), { recursive: true });
  await mkdir(run.rawLayout.vmDir(def.name), { recursive: true });
  const argv = buildQemuArgv({ qemuBinary: 'qemu-system-x86_64', def, accel: 'tcg', paths, vncWebsocketPort: null, ovmfCode: null });
  const files = passedFiles(def).map((f) => ({ path: pathOf(def, f), readOnly: f.readOnly }));
  return { argv, files, qmpSocket: paths.qmpSocket, serialLog: paths.serialLog };
}

export interface RawQemu {
  pid: number;
  kill: () => Promise<void>;
}

export function spawnRaw(argv: string[], files: ReadonlyArray<{ path: string; readOnly: boolean }> = []): RawQemu {
  const fds = files.map((f) => openSync(f.path, f.readOnly ? constants.O_RDONLY : constants.O_RDWR));
  let child;
  try {
    child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'ignore', ...fds] });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid ?? 0,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Connects as soon as the socket accepts, reads the greeting and negotiates: what "QMP ready" means. */
export async function waitQmpReady(path: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection(path);
      let buf = '';
      s.once('error', () => resolve(false));
      s.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"QMP"') && !buf.includes('"return"')) s.write('{"execute":"qmp_capabilities"}\n');
        if (buf.includes('"return"')) {
          s.destroy();
          resolve(true);
        }
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`QMP ${path} not ready within ${timeoutMs} ms`);
    await sleep(1);
  }
}

export async function waitForText(path: string, text: string, timeoutMs = 60_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await readFile(path, 'utf8').catch(() => '')).includes(text)) {
    if (Date.now() > deadline) throw new Error(`${path}: no ${text} within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

export async function pidsMentioning(text: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    if ((await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')).includes(text)) out.push(Number(e));
  }
  return out;
}

/** SIGKILLs what a benchmark left behind: every process whose command line mentions `text` (its temp dir). */
export async function killMentioning(text: string): Promise<void> {
  for (const p of await pidsMentioning(text)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
