// Remote hosts over real OpenSSH: from the first test host, `nova host add` a second one
// (its own sshd and helper in its own namespace), list it, create, start and read the
// serial console of a TCG guest there through `--host`, then stop and delete it. Bad
// input is refused the way a user reads it: a refused port, a blackholed one within the
// connect bound, a changed host key in ssh's own words, a host that does not parse.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestGuest, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { SERVER_ADDRESS, SshTestHosts, SSH_PORT, SSH_USER } from './fixtures/ssh-test-hosts.js';
import { waitFor } from './fixtures/wait-for.js';

let hosts: SshTestHosts;
let guest: TestGuest;
const VM = 'nv15s-g1';

beforeAll(async () => {
  guest = await ensureTestGuest();
  hosts = await SshTestHosts.start(dirname(guest.vmlinux));
});

afterAll(async () => {
  await hosts?.cleanup();
});

function ok(r: { exitCode: number; stdout: string; stderr: string }): string {
  if (r.exitCode !== 0) throw new Error(`nova exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nsshd: ${hosts.sshdOutput().slice(-2000)}`);
  return r.stdout;
}

describe('a remote host reached through ssh', () => {
  it('is registered after Nova answered there, with its version', async () => {
    const out = ok(await hosts.nova(['host', 'add', 'closet', hosts.url]));
    expect(out).toMatch(new RegExp(`^closet: ${hosts.url.replace(/[.]/g, '\\.')} \\(Nova \\d+\\.\\d+\\.\\d+, (kvm|tcg)\\)`));
  });

  it('is listed reachable with its version, accelerator and guests, beside an unreachable one', async () => {
    ok(await hosts.nova(['host', 'add', '--no-check', 'attic', `ssh://root@${SERVER_ADDRESS}:2299`]));
    const r = await hosts.nova(['--json', 'host', 'ls']);
    const { hosts: rows } = JSON.parse(ok(r)) as { hosts: Array<Record<string, unknown>> };
    expect(rows.map((h) => h.name)).toEqual(['attic', 'closet']);
    expect(rows[1]).toMatchObject({ url: hosts.url, reachable: true, vms: 0, capsules: 0, error: null });
    expect(rows[1]?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(rows[1]?.accelerator).toMatch(/^(kvm|tcg)$/);
    expect(rows[0]).toMatchObject({ reachable: false, version: null });
    expect(rows[0]?.error, JSON.stringify(rows[0])).toContain('Connection refused');
    const table = ok(await hosts.nova(['host', 'ls']));
    expect(table).toMatch(/^closet\s+ssh:\S+\s+reachable\s+\d+\.\d+\.\d+/m);
    expect(table).toMatch(/^attic\s+ssh:\S+\s+unreachable/m);
    ok(await hosts.nova(['host', 'rm', 'attic']));
    expect(ok(await hosts.nova(['host', 'ls']))).not.toContain('attic');
  });

  it("creates, starts and reads a TCG guest's serial console there, then stops and deletes it", async () => {
    const remote = ['--host', 'closet'];
    ok(await hosts.nova([...remote, 'vm', 'create', VM, '--cpus', '1', '--memory', '256Mi', '--accel', 'tcg', '--display', 'none',
      '--kernel', guest.vmlinux, '--initrd', guest.initrdAcpi, '--cmdline', guest.cmdline]));
    expect(ok(await hosts.nova([...remote, 'vm', 'ls']))).toMatch(new RegExp(`^${VM}\\s+stopped`, 'm'));
    ok(await hosts.nova([...remote, 'vm', 'start', VM], { timeoutMs: 150_000 }));
    // The guest runs on the second host: its helper has it, the first host has no helper at all.
    const listed = JSON.parse(ok(await hosts.nova([...remote, '--json', 'vm', 'ls']))) as { vms: Array<{ definition: { name: string }; state: string; accel: string }> };
    expect(listed.vms).toEqual([expect.objectContaining({ definition: expect.objectContaining({ name: VM }), state: 'running', accel: 'tcg' })]);
    const log = await waitFor(async () => {
      const r = await hosts.nova([...remote, 'logs', 'vm', VM]);
      return r.exitCode === 0 && r.stdout.includes(GUEST_READY_MARKER) ? r.stdout : null;
    }, 90_000, 'the guest marker on its serial console through --host', 1000);
    expect(log).toContain('nova-guest#');
    ok(await hosts.nova([...remote, 'vm', 'stop', '--force', VM]));
    ok(await hosts.nova([...remote, 'vm', 'rm', VM]));
    expect(ok(await hosts.nova([...remote, 'vm', 'ls']))).not.toContain(VM);
  });
});

describe('who the remote helper sees', () => {
  it('the SSH user, through nova connect: a user who is not root is authorized as that uid and refused', async () => {
    const uid = (await execa('id', ['-u', SSH_USER])).stdout.trim();
    const r = await hosts.nova(['--host', `ssh://${SSH_USER}@${SERVER_ADDRESS}:${SSH_PORT}`, 'vm', 'ls']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`for uid ${uid}`);
    expect(r.stderr).toContain('[not_authorized]');
  });
});

describe('a remote helper that is not running', () => {
  it('is started on demand by nova connect, as the CLI starts a local one', async () => {
    expect(existsSync(hosts.onDemandSocket)).toBe(false);
    const config = `${hosts.dir}/ssh_config_ondemand`;
    await hosts.writeSshConfig(config, 'known_hosts', 'ondemand_key');
    const r = await hosts.nova(['--host', 'closet', '--json', 'vm', 'ls'], { env: { NOVA_SSH_CONFIG: config } });
    expect(JSON.parse(ok(r))).toEqual({ vms: [], broken: [] });
    expect(existsSync(hosts.onDemandSocket)).toBe(true);
  });
});

describe('bad input', () => {
  it('an unreachable port is a clear error at once', async () => {
    const r = await hosts.nova(['--host', `ssh://root@${SERVER_ADDRESS}:2299`, 'vm', 'ls']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`ssh could not connect to ssh://root@${SERVER_ADDRESS}:2299`);
    expect(r.stderr).toContain('Connection refused');
    expect(r.stderr).toContain('[unavailable]');
  });

  it('a blackholed host fails within the connect bound, saying it timed out', async () => {
    await hosts.blackhole(2298);
    const r = await hosts.nova(['--host', `ssh://root@${SERVER_ADDRESS}:2298`, 'vm', 'ls'], { env: { NOVA_SSH_CONNECT_TIMEOUT: '3' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Connection timed out|timed out/);
    console.log(`blackholed host refused after ${r.ms} ms (ConnectTimeout=3)`);
    expect(r.ms).toBeGreaterThanOrEqual(2_900);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('a changed host key is refused as ssh refuses it, naming the known_hosts line', async () => {
    const known = await hosts.writeKnownHosts('known_hosts_changed', `${hosts.dir}/client_key.pub`);
    const config = `${hosts.dir}/ssh_config_changed`;
    await hosts.writeSshConfig(config, 'known_hosts_changed');
    const r = await hosts.nova(['--host', 'closet', 'vm', 'ls'], { env: { NOVA_SSH_CONFIG: config } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(r.stderr).toContain(`Offending ED25519 key in ${known}:1`);
    expect(r.stderr).toContain('Host key verification failed.');
  });

  it('a host that does not parse, or is not registered, is refused before ssh runs', async () => {
    const injected = await hosts.nova(['--host', 'ssh://-oProxyCommand=touch /tmp/nv15s-pwned', 'vm', 'ls']);
    expect(injected.exitCode).toBe(1);
    expect(injected.stderr).toContain('is not a host address');
    expect(injected.stderr).toContain('[invalid_argument]');
    const unknown = await hosts.nova(['--host', 'nosuch', 'vm', 'ls']);
    expect(unknown.stderr).toContain('No host named "nosuch" is registered');
    const badName = await hosts.nova(['host', 'add', 'Bad_Name', hosts.url]);
    expect(badName.stderr).toContain('is not a host name');
    const badUrl = await hosts.nova(['host', 'add', 'lab', `http://${SERVER_ADDRESS}:${SSH_PORT}`]);
    expect(badUrl.stderr).toContain('only ssh:// is supported');
  });
});
