import { describe, expect, it } from 'vitest';
import type { HelperClient } from '../../core/helper-client.js';
import { runCli } from '../cli-program.js';
import { cloudInitFromOptions } from './vm-command.js';

/** Runs `nova ARGV` against a fake helper; returns the exit code, output and the calls made. */
async function nova(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const calls: Array<[string, unknown]> = [];
  const info = { definition: { name: 'web' }, state: 'stopped' };
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, {
    connectHelper: async () =>
      ({
        call: async (method: string, params: unknown) => (calls.push([method, params]), info),
        onEvent: () => () => undefined,
        close: () => undefined,
      }) as unknown as HelperClient,
  });
  return { code, stdout, stderr, calls };
}

describe('nova vm create', () => {
  it.each([
    ['2GiB', 2048],
    ['2Gi', 2048],
    ['2g', 2048],
    ['2048', 2048],
    ['512Mi', 512],
  ])('takes --memory %s as %d MiB', async (memory, mib) => {
    const r = await nova(['vm', 'create', 'web', '--memory', memory]);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([['vm.create', expect.objectContaining({ name: 'web', memory: mib }) as unknown]]);
  });

  it('refuses a size it cannot read before calling the helper, with the vocabulary\'s message', async () => {
    const r = await nova(['vm', 'create', 'web', '--memory', '16Zi']);
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.stderr).toContain('unit "Zi" is not supported');
  });

  it('leaves out what is not given, so the contract\'s defaults apply', async () => {
    const r = await nova(['vm', 'create', 'web', '--disk-size', '10Gi']);
    expect(r.calls[0]?.[1]).toEqual({ name: 'web', machine: 'q35', accel: 'auto', display: 'vnc', network: 'none', diskSize: 10240 });
  });

  it('passes the OS profile, TPM, Secure Boot and Hyper-V only when given, so a profile can choose the firmware', async () => {
    const r = await nova(['vm', 'create', 'win', '--os', 'windows11', '--tpm', '--secure-boot', '--hyperv', '--firmware', 'uefi-secure']);
    expect(r.calls[0]?.[1]).toMatchObject({ os: 'windows11', tpm: true, secureBoot: true, hyperv: true, firmware: 'uefi-secure' });
    expect(Object.keys((await nova(['vm', 'create', 'web'])).calls[0]?.[1] as object)).not.toContain('tpm');
  });

  it('takes --network none, user and nova:NAME', async () => {
    expect((await nova(['vm', 'create', 'web', '--network', 'user'])).calls[0]?.[1]).toMatchObject({ network: 'user' });
    expect((await nova(['vm', 'create', 'web', '--network', 'nova:lab'])).calls[0]?.[1]).toMatchObject({ network: { nova: 'lab' } });
    const bad = await nova(['vm', 'create', 'web', '--network', 'lab']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('use none, user or nova:NAME');
  });

  it('refuses a VM name the helper would refuse', async () => {
    const r = await nova(['vm', 'create', 'my_vm']);
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.stderr).toContain('vm name "my_vm" contains "_"');
  });
});

describe('nova vm create cloud-init flags', () => {
  const files: Record<string, string> = {
    '/k/id.pub': '# mine\nssh-ed25519 AAAAC3Nz first@host\n\nssh-rsa AAAAB3Nz second@host\n',
    '/k/pw': 'hunter2\n',
    '/k/empty': '\n',
  };
  const read = async (f: string) => {
    const text = files[f];
    if (text === undefined) throw new Error(`no ${f}`);
    return text;
  };

  it('gives no seed when no flag is set', async () => {
    await expect(cloudInitFromOptions({ sshKeys: [] }, read)).resolves.toBeNull();
  });

  it('reads keys given inline and from files, and the password from a file', async () => {
    await expect(cloudInitFromOptions({ hostname: 'web1', user: 'ops', passwordFile: '/k/pw', sshKeys: ['ssh-ed25519 AAAAinline me', '/k/id.pub'] }, read)).resolves.toEqual({
      hostname: 'web1',
      user: 'ops',
      password: 'hunter2',
      sshAuthorizedKeys: ['ssh-ed25519 AAAAinline me', 'ssh-ed25519 AAAAC3Nz first@host', 'ssh-rsa AAAAB3Nz second@host'],
    });
  });

  it('refuses an empty password file', async () => {
    await expect(cloudInitFromOptions({ passwordFile: '/k/empty', sshKeys: [] }, read)).rejects.toThrow(/is empty/);
  });
});
