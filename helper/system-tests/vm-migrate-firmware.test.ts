// Live migration of a UEFI VM with a TPM between two test hosts of its own: a running OVMF
// guest with a swtpm moves with `nova vm migrate`. It runs on the destination with its
// UEFI variables file there and a swtpm of its own (the TPM's state came in the stream),
// and the source has no QEMU, swtpm or folder of it left.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesMatching } from './fixtures/frozen-child.js';
import { novaOk as ok, qemuOfVm as qemuOf, useMigrationTestBed } from './fixtures/migration-test-steps.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(2).toString('hex');
const VM = `nv7n-uefi-${RUN}`;

const bed = useMigrationTestBed({ prefix: 'nv7n', clientAddress: '10.217.10.1', serverAddress: '10.217.10.2', sshPort: 2250 });

/** The living swtpms keeping their state in VM `name`'s folder under `stateDir`. */
function swtpmsOf(stateDir: string, name: string): Promise<number[]> {
  const dir = `dir=${join(stateDir, 'vms', name, 'tpm')},mode=0600`;
  return processesMatching((argv) => argv[0] === 'swtpm' && argv.includes(dir));
}

describe('a UEFI VM with a TPM', () => {
  it('moves live: it runs on the destination with its UEFI variables and a swtpm, nothing is left at the source', async () => {
    const { hosts, local, remote } = bed;
    ok(await hosts.nova(['vm', 'create', VM, '--firmware', 'uefi', '--tpm', '--cpus', '1', '--memory', '256Mi', '--accel', 'tcg', '--display', 'none', '--disk-size', '16Mi']));
    ok(await hosts.nova(['vm', 'start', VM], { timeoutMs: 150_000 }));
    const sourceDir = hosts.clientHelper!.stateDir;
    const destDir = hosts.helper!.stateDir;
    expect(await swtpmsOf(sourceDir, VM)).toHaveLength(1);
    // OVMF has run a while (its variables written, the TPM used) before the move.
    await waitFor(async () => ((await readFile(join(sourceDir, 'vms', VM, 'tpm', 'tpm2-00.permall')).catch(() => null)) !== null ? true : null), 60_000, 'swtpm to write its state');
    const vars = await readFile(join(sourceDir, 'vms', VM, 'OVMF_VARS.fd'));

    const moved = await hosts.nova(['vm', 'migrate', VM, '--to', 'closet'], { timeoutMs: 240_000 });
    console.log(`nova vm migrate (UEFI, TPM): ${moved.ms} ms\n${moved.stdout}${moved.stderr}`);
    expect(ok(moved)).toMatch(new RegExp(`^moved ${VM} to closet in`));

    const there = await remote.call('vm.get', { name: VM });
    expect(there.state).toBe('running');
    expect(there.definition).toMatchObject({ firmware: 'uefi', tpm: true });
    const destVars = await readFile(join(destDir, 'vms', VM, 'OVMF_VARS.fd'));
    expect(destVars.length).toBe(vars.length);
    expect(await qemuOf(VM, hosts.helper!.dir)).toHaveLength(1);
    expect(await swtpmsOf(destDir, VM)).toHaveLength(1);
    // QEMU's tpm-emulator state is part of the stream: the destination's swtpm was given it and keeps it in its folder.
    await waitFor(async () => ((await readFile(join(destDir, 'vms', VM, 'tpm', 'tpm2-00.permall')).catch(() => null)) !== null ? true : null), 30_000, "the destination's swtpm to hold the TPM state");
    // Still running a while later: the guest lives on there with the state it brought.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await remote.call('vm.get', { name: VM })).state).toBe('running');

    expect((await local.call('vm.list', {})).vms.map((v) => v.definition.name)).not.toContain(VM);
    expect(await qemuOf(VM, hosts.clientHelper!.dir)).toEqual([]);
    expect(await swtpmsOf(sourceDir, VM)).toEqual([]);
    expect(existsSync(join(sourceDir, 'vms', VM))).toBe(false);
    ok(await hosts.nova(['--host', 'closet', 'vm', 'rm', '--force', VM]));
  }, 600_000);
});
