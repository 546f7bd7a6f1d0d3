// `nova op` against the real helper and a real disk import (qemu-img): while the import
// runs (its qemu-img frozen, so it stays under way), `op ls` lists it with its phase and
// owner, `op show` tells it in full, and `op cancel --wait` stops it and reports the end;
// afterwards the import is listed as cancelled and nothing of it is left behind.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { Operation } from '../../src-shared/operation.js';
import { freezeWhenRunning, qemuImgConvertOf, writeSparseDisk, type FrozenChild } from './fixtures/frozen-child.js';
import { interruptCli, startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv8u';
const IMAGE = `${PREFIX}-big`;

let run: OperationHelperRun;
let disk = '';
let helper: RunningHelper;
let client: HelperClient;
let seen: Operation[] = [];

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

beforeAll(async () => {
  run = await startOperationHelper(PREFIX);
  ({ helper, client, seen } = run);
  disk = join(run.dir, 'big.raw');
  await writeSparseDisk(disk, 64, 768);
});

afterAll(async () => {
  await run?.stop();
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
    let opId = '';
    const { code } = await interruptCli(run, ['image', 'import', disk, '--name', `${IMAGE}2`], {
      freeze: qemuImgConvertOf(disk),
      progress: 'import of big.raw: converting raw to qcow2',
      cancelled: (o) => o.resource.name === `${IMAGE}2`,
      whileFrozen: async (cliPid) => {
        opId = (await waitFor(() => seen.find((o) => o.resource.name === `${IMAGE}2` && o.state === 'running'), 10_000, 'the CLI import operation')).id;
        const listed = await nova(['op', 'ls', '--running', '--json']);
        expect(JSON.parse(listed.stdout)).toMatchObject([{ id: opId, owner: { uid: 0, pid: cliPid } }]);
      },
    });
    expect(code).toBe(1);
    const shown = await nova(['op', 'show', opId, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: opId, state: 'cancelled', error: { code: 'cancelled' } });
  });
});
