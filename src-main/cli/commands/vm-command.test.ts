import { describe, expect, it } from 'vitest';
import { cloudInitFromOptions, parseNetworkOption } from './vm-command.js';

describe('nova vm create --network', () => {
  it('takes none, user and nova:NAME', () => {
    expect(parseNetworkOption('none')).toBe('none');
    expect(parseNetworkOption('user')).toBe('user');
    expect(parseNetworkOption('nova:lab')).toEqual({ nova: 'lab' });
  });
  it('refuses anything else with the forms it takes', () => {
    expect(() => parseNetworkOption('lab')).toThrow(/none, user or nova:NAME/);
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
