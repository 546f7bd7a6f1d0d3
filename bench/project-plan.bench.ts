// `nova plan` of a project of 200 resources (100 capsules, 100 direct-kernel-boot VMs, all
// created and stopped, so the plan holds 200 changes to print), timed as a user sees it:
// the whole CLI process, from start to the printed plan, against a real helper. The
// target is absolute (under 1 s), so the "raw" column is that budget, not a tool.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { HelperClient } from '../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeCapsuleTestState } from '../helper/system-tests/fixtures/capsule-harness.js';
import { pairedRuns, type Benchmark, waitForSocket } from './bench-harness.js';

const BUDGET_MS = 1000;
const EACH = 100;

function novaFile(tag: string, kernel: string): string {
  const out = [`project = "${tag}"`];
  for (let i = 0; i < EACH; i++) out.push('', `[capsule.${tag}-c${i}]`, `capsule = "${tag}-busybox"`, 'command = ["sleep", "600"]', `memory = "${64 + i}Mi"`);
  for (let i = 0; i < EACH; i++) out.push('', `[vm.${tag}-v${i}]`, `kernel = "${kernel}"`, 'memory = "128Mi"', 'accel = "tcg"', 'display = "none"');
  return out.join('\n') + '\n';
}

export const projectPlan: Benchmark = {
  name: 'nova plan, 200 resources',
  async run() {
    if (process.getuid?.() !== 0) throw new Error('The plan benchmark runs a helper with capsules: run npm run bench as root');
    const tag = `nv9p-${randomBytes(3).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), `${tag}-`));
    const socketPath = join(dir, 'helper.sock');
    const stateDir = join(dir, 'state');
    const helperArgs = ['out/helper/nova-helper.mjs', '--socket', socketPath, '--state-dir', stateDir, '--run-dir', join(dir, 'run'), '--allowed-root', dir, '--oci-runtime', 'runc', '--log-level', 'warn'];
    const helper = spawn(process.execPath, helperArgs, { stdio: 'ignore' });
    const client = new HelperClient({ socketPath, reconnect: false });
    try {
      await waitForSocket(socketPath);
      client.start();
      await client.waitForConnection();
      const kernel = join(dir, 'vmlinux');
      await writeFile(kernel, 'not booted: the plan only checks that it exists\n');
      await client.call('ociImage.import', { path: await makeBusyboxRootfs(dir), name: `${tag}-busybox` });
      const file = join(dir, 'NovaFile.toml');
      await writeFile(file, novaFile(tag, kernel));
      for (let i = 0; i < EACH; i++) {
        await client.call('capsule.create', { name: `${tag}-c${i}`, image: `${tag}-busybox`, command: ['sleep', '600'], memory: 64 + i, project: tag });
        await client.call('vm.create', { name: `${tag}-v${i}`, kernel, memory: 128, accel: 'tcg', display: 'none', project: tag });
      }
      const plan = async () => {
        const t0 = process.hrtime.bigint();
        const r = await execa(process.execPath, ['out/cli/nova.mjs', '--socket', socketPath, '--no-autostart', 'plan', '-f', file], { reject: false, timeout: 60_000 });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.exitCode !== 0 || !String(r.stdout).includes(`Plan: ${2 * EACH} to update in place`)) throw new Error(`nova plan: ${String(r.stderr)}${String(r.stdout).slice(-300)}`);
        return ms;
      };
      const { nova } = await pairedRuns(plan, async () => BUDGET_MS, { warmup: 2, rounds: 4, perRound: 5 });
      return { name: this.name, nova, raw: { p50: BUDGET_MS, p95: BUDGET_MS, n: 1 }, unit: 'ms', target: 1 };
    } finally {
      client.close();
      helper.kill('SIGTERM');
      await new Promise((r) => helper.once('exit', r));
      await removeCapsuleTestState(dir, stateDir, []);
      await rm(dir, { recursive: true, force: true });
    }
  },
};
