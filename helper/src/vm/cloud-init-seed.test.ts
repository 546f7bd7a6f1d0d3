// Golden tests of the NoCloud seed: the exact user-data, meta-data and network-config
// for each kind of cloud_init table (the tools' argv are in tool-argv.test.ts), and real SHA-512 crypt
// hashes from openssl (checked against a known vector, so the format is never invented).
import { describe, expect, it } from 'vitest';
import { CloudInitDefinitionSchema, CloudInitSpecSchema } from '../../../src-shared/vm.js';
import { buildSeedFiles, cloudInitDefinition, hashPassword } from './cloud-init-seed.js';

// `openssl passwd -6 -salt saltsalt secret`; glibc's crypt("secret", "$6$saltsalt") gives the same.
const HASH = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl dev@laptop';

describe('buildSeedFiles', () => {
  it('a user with a password hash and a key, on a Nova network (NIC matched by MAC)', () => {
    const files = buildSeedFiles({
      vmName: 'web',
      cloudInit: { hostname: 'web-1.lab.example', user: 'dev', passwordHash: HASH, sshAuthorizedKeys: [KEY] },
      nic: { mac: '6a:0b:22:91:5c:07' },
    });
    expect(files['user-data']).toBe(`#cloud-config
hostname: "web-1"
fqdn: "web-1.lab.example"
manage_etc_hosts: true
users:
  - default
  - name: "dev"
    shell: "/bin/bash"
    groups: "sudo"
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    lock_passwd: false
    passwd: "${HASH}"
    ssh_authorized_keys:
      - "${KEY}"
ssh_pwauth: true
`);
    expect(files['network-config']).toBe(`version: 2
ethernets:
  nic0:
    match:
      macaddress: "6a:0b:22:91:5c:07"
    dhcp4: true
`);
    expect(files['meta-data']).toMatch(/^instance-id: "nova-web-[0-9a-f]{12}"\nlocal-hostname: "web-1"\n$/);
  });

  it("the image's default user: keys and a hashed password, no NIC so no network-config", () => {
    const files = buildSeedFiles({ vmName: 'db', cloudInit: { passwordHash: HASH, sshAuthorizedKeys: [KEY] }, nic: null });
    expect(files['user-data']).toBe(`#cloud-config
password: "${HASH}"
chpasswd:
  expire: false
ssh_authorized_keys:
  - "${KEY}"
ssh_pwauth: true
`);
    expect(files['network-config']).toBeUndefined();
    expect(files['meta-data']).toMatch(/\nlocal-hostname: "db"\n$/);
  });

  it('a static address with gateway and DNS on user-mode networking (NIC matched by name)', () => {
    const ci = CloudInitDefinitionSchema.parse({
      user: 'ops',
      network: { address: '192.168.220.10/24', gateway: '192.168.220.1', nameservers: ['192.168.220.1'] },
    });
    const files = buildSeedFiles({ vmName: 'static', cloudInit: ci, nic: { mac: null } });
    expect(files['user-data']).toBe(`#cloud-config
users:
  - default
  - name: "ops"
    shell: "/bin/bash"
    groups: "sudo"
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    lock_passwd: true
`);
    expect(files['network-config']).toBe(`version: 2
ethernets:
  nic0:
    match:
      name: "e*"
    dhcp4: false
    addresses:
      - "192.168.220.10/24"
    routes:
      - to: "0.0.0.0/0"
        via: "192.168.220.1"
    nameservers:
      addresses:
        - "192.168.220.1"
`);
  });

  it('keeps the instance-id while the seed is unchanged and changes it when the seed changes', () => {
    const a = buildSeedFiles({ vmName: 'x', cloudInit: { user: 'a', sshAuthorizedKeys: [] }, nic: null });
    const b = buildSeedFiles({ vmName: 'x', cloudInit: { user: 'a', sshAuthorizedKeys: [] }, nic: null });
    const c = buildSeedFiles({ vmName: 'x', cloudInit: { user: 'b', sshAuthorizedKeys: [] }, nic: null });
    expect(a['meta-data']).toBe(b['meta-data']);
    expect(a['meta-data']).not.toBe(c['meta-data']);
  });

  it('quotes values, so a key comment cannot inject YAML', () => {
    const files = buildSeedFiles({ vmName: 'q', cloudInit: { sshAuthorizedKeys: ['ssh-rsa AAAA x"\nruncmd: [rm]'] }, nic: null });
    expect(files['user-data']).toContain('  - "ssh-rsa AAAA x\\"\\nruncmd: [rm]"\n');
    expect(files['user-data']).not.toMatch(/^runcmd/m);
  });
});

describe('the contract refuses what would break a seed', () => {
  it.each([
    [{ user: 'Root Admin' }, /user name/],
    [{ hostname: 'bad_host' }, /host name/],
    [{ sshAuthorizedKeys: ['-----BEGIN OPENSSH PRIVATE KEY-----'] }, /SSH public key/],
    [{ network: { address: '10.0.0.5' } }, /prefix/],
  ])('%j', (input, message) => {
    const r = CloudInitSpecSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(message);
  });
});

describe('password hashing (openssl passwd -6)', () => {
  it('gives the known SHA-512 crypt vector for a fixed salt', async () => {
    expect(await hashPassword('secret', HASH)).toBe(HASH);
  });

  it('salts a new password randomly and never stores it in clear', async () => {
    const def = await cloudInitDefinition(CloudInitSpecSchema.parse({ user: 'dev', password: 'hunter2' }), null);
    expect(def.passwordHash).toMatch(/^\$6\$[^$]+\$[A-Za-z0-9./]{86}$/);
    expect(JSON.stringify(def)).not.toContain('hunter2');
    expect(CloudInitDefinitionSchema.safeParse(def).success).toBe(true);
  });

  it('reuses the previous salt, so an unchanged password keeps its hash', async () => {
    const first = await cloudInitDefinition(CloudInitSpecSchema.parse({ password: 'pw' }), null);
    const again = await cloudInitDefinition(CloudInitSpecSchema.parse({ password: 'pw' }), first);
    expect(again.passwordHash).toBe(first.passwordHash);
  });

  it('refuses a password with a line break (it would end the stdin line)', async () => {
    await expect(hashPassword('a\nb')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
