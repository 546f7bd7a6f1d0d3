// `nova op` against the real helper and a real disk import (qemu-img): while the import
// runs (its qemu-img frozen, so it stays under way), `op ls` lists it with its phase and
// owner, `op show` tells it in full, and `op cancel --wait` stops it and reports the end;
// afterwards the import is listed as cancelled and nothing of it is left behind.
import { execFile, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '../../src-shared/operation.js';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { freezeWhenRunning, killMatching, qemuImgConvertOf, writeSparseDisk, type FrozenChild } from './fixtures/frozen-child.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv8u';
const IMAGE = `${PREFIX}-big`;

let dir = '';
let disk = '';
let helper: RunningHelper;
let client: HelperClient;
const seen: Operation[] = [];

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `nova` command against this run's helper, bounded by `timeoutMs`. */
function nova(args: string[], timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  dir = await makeTestDir(PREFIX);
  helper = await startHelper(dir, { extraArgs: ['--allowed-root', dir] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  client.onEvent((e) => e.name === 'operation.changed' && seen.push(e.payload));
  disk = join(dir, 'big.raw');
  await writeSparseDisk(disk, 64, 768);
});

afterAll(async () => {
  client?.close();
  if (disk) await killMatching(qemuImgConvertOf(disk));
  await helper?.stop();
  if (dir) await removeTestDir(dir);
});

describe('nova op', () => {
  it('lists, shows and cancels a running disk import', async () => {
    let opId = '';
    let frozen: FrozenChild | null = null;
    const importing = client.call('image.import', { path: disk, name: IMAGE }, { onOperation: (id) => (opId = id) });
    importing.catch(() => undefined);
    try {
      frozen = await freezeWhenRunning(qemuImgConvertOf(disk), 30_000, 'the qemu-img conversion');
      await waitFor(() => seen.find((o) => o.id === opId && o.progress.phase === 'converting raw to qcow2'), 10_000, 'the conversion phase');

      const table = await nova(['op', 'ls']);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      const [header, ...rows] = table.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^ID\s+KIND\s+RESOURCE\s+STATE\s+PROGRESS\s+AGE\s+OWNER$/);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatch(new RegExp(`^${opId}\\s+image\\.import\\s+image/${IMAGE}\\s+running\\s+(\\d+% )?converting raw to qcow2\\s+\\d+s\\s+root$`));

      const listed = await nova(['op', 'ls', '--running', '--json']);
      expect(JSON.parse(listed.stdout)).toMatchObject([{ id: opId, kind: 'image.import', state: 'running', owner: { uid: 0 } }]);

      const shown = await nova(['op', 'show', opId]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain(`Operation ${opId}: import of big.raw\n`);
      expect(shown.stdout).toMatch(new RegExp(`Resource: +Image ${IMAGE}\\n`));
      expect(shown.stdout).toMatch(/State: +running \(nova op cancel stops it\)\n/);
      expect(shown.stdout).toMatch(/Started: +\S+ \(\d+s ago\) by root, pid \d+\n/);

      // --wait returns only once the helper has stopped qemu-img and removed the partial disk.
      const cancelling = nova(['op', 'cancel', opId, '--wait']);
      await waitFor(() => seen.find((o) => o.id === opId && o.cancelRequested), 10_000, 'the cancel request');
      frozen.resume();
      const cancelled = await cancelling;
      expect(cancelled).toMatchObject({ code: 0, stdout: `${opId} (import of big.raw): cancelled\n` });
      await expect(importing).rejects.toMatchObject({ code: 'cancelled' });
    } finally {
      frozen?.resume();
    }

    expect(await readdir(join(helper.stateDir, 'images'))).toEqual([]);
    const after = await nova(['op', 'ls', '--resource', `image/${IMAGE}`]);
    expect(after.stdout).toMatch(new RegExp(`^${opId}\\s+image\\.import\\s+image/${IMAGE}\\s+cancelled\\s+cancelled\\s`, 'm'));

    const again = await nova(['op', 'cancel', opId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already cancelled \[failed_precondition\]/);
  });

  it('tells an unknown operation (exit 1) from a malformed id (exit 2)', async () => {
    const unknown = await nova(['op', 'show', '0000dead']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/There is no operation 0000dead.*\[not_found\]/);
    const malformed = await nova(['op', 'cancel', 'not-an-id']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/is not an operation id/);
  });

  it('shows a `nova image import` run from another terminal, and Ctrl+C in that terminal ends it as cancelled', async () => {
    const cli = spawn(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', 'image', 'import', disk, '--name', `${IMAGE}2`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    let frozen: FrozenChild | null = null;
    try {
      frozen = await freezeWhenRunning(qemuImgConvertOf(disk), 30_000, 'the CLI import');
      const running = await waitFor(() => seen.find((o) => o.resource.name === `${IMAGE}2` && o.state === 'running'), 10_000, 'the CLI import operation');
      const listed = await nova(['op', 'ls', '--running', '--json']);
      expect(JSON.parse(listed.stdout)).toMatchObject([{ id: running.id, owner: { uid: 0, pid: cli.pid } }]);
      cli.kill('SIGINT');
      await waitFor(() => seen.find((o) => o.id === running.id && o.cancelRequested), 10_000, 'the cancel from Ctrl+C');
      frozen.resume();
      expect(await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))])).toBe(1);
      const shown = await nova(['op', 'show', running.id, '--json']);
      expect(JSON.parse(shown.stdout)).toMatchObject({ id: running.id, state: 'cancelled', error: { code: 'cancelled' } });
    } finally {
      frozen?.resume();
      if (cli.exitCode === null) cli.kill('SIGKILL');
    }
  });
});
