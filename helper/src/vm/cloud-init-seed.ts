// cloud-init NoCloud seeds: a VM's cloud_init settings -> user-data, meta-data and
// network-config (pure, golden-tested) -> an ISO labelled "cidata" built by genisoimage
// (or xorriso), which the VM gets as a read-only CD-ROM. Passwords become crypt(3)
// SHA-512 hashes here. The tools' argv come from seed-tool-argv.ts, run by the ProcessRunner.
import { createHash } from 'node:crypto';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import type { CloudInitDefinition, CloudInitSpec } from '../../../src-shared/vm.js';
import { ProcessRunner } from '../process/process-runner.js';
import { removeConfined, writeConfined } from '../safe-fs/confined-write.js';
import { genisoimageArgv, opensslPasswdArgv, xorrisoArgv } from './seed-tool-argv.js';

export { genisoimageArgv, SEED_VOLUME_LABEL } from './seed-tool-argv.js';

export const SEED_FILES = ['user-data', 'meta-data', 'network-config'] as const;

export interface SeedFiles {
  'user-data': string;
  'meta-data': string;
  /** Absent when the VM has no NIC: cloud-init then keeps its own fallback. */
  'network-config'?: string;
}

export interface SeedInput {
  vmName: string;
  cloudInit: CloudInitDefinition;
  /** The guest NIC, when the VM has one; its MAC when Nova chose it (Nova networks). */
  nic: { mac: string | null } | null;
}

/** YAML double-quoted scalars accept JSON strings as they are, so every value is quoted this way. */
function q(value: string): string {
  return JSON.stringify(value);
}

export function buildSeedFiles(input: SeedInput): SeedFiles {
  const ci = input.cloudInit;
  const user: string[] = ['#cloud-config'];
  if (ci.hostname) {
    user.push(`hostname: ${q(ci.hostname.split('.')[0] ?? ci.hostname)}`);
    if (ci.hostname.includes('.')) user.push(`fqdn: ${q(ci.hostname)}`);
    user.push('manage_etc_hosts: true');
  }
  if (ci.user) {
    // Keeping "default" leaves the image's own user in place beside ours.
    user.push('users:', '  - default', `  - name: ${q(ci.user)}`, '    shell: "/bin/bash"', '    groups: "sudo"', '    sudo: "ALL=(ALL) NOPASSWD:ALL"');
    if (ci.passwordHash) user.push('    lock_passwd: false', `    passwd: ${q(ci.passwordHash)}`);
    else user.push('    lock_passwd: true');
    if (ci.sshAuthorizedKeys.length > 0) {
      user.push('    ssh_authorized_keys:', ...ci.sshAuthorizedKeys.map((k) => `      - ${q(k)}`));
    }
  } else {
    if (ci.passwordHash) {
      // The image's default user; cloud-init recognises a crypt hash and sets it as one (chpasswd -e).
      user.push(`password: ${q(ci.passwordHash)}`, 'chpasswd:', '  expire: false');
    }
    if (ci.sshAuthorizedKeys.length > 0) user.push('ssh_authorized_keys:', ...ci.sshAuthorizedKeys.map((k) => `  - ${q(k)}`));
  }
  if (ci.passwordHash) user.push('ssh_pwauth: true');

  const files: SeedFiles = { 'user-data': user.join('\n') + '\n', 'meta-data': '' };
  if (input.nic) files['network-config'] = networkConfig(ci, input.nic.mac);

  // A new instance-id makes cloud-init apply the seed again; the same one keeps a booted guest as it is.
  const digest = createHash('sha256')
    .update(files['user-data'])
    .update('\0')
    .update(files['network-config'] ?? '')
    .digest('hex')
    .slice(0, 12);
  const meta = [`instance-id: ${q(`nova-${input.vmName}-${digest}`)}`, `local-hostname: ${q((ci.hostname ?? input.vmName).split('.')[0] ?? input.vmName)}`];
  files['meta-data'] = meta.join('\n') + '\n';
  return files;
}

/** Network config version 2 (netplan's format), for one NIC matched by MAC when Nova knows it. */
function networkConfig(ci: CloudInitDefinition, mac: string | null): string {
  const lines = ['version: 2', 'ethernets:', '  nic0:', '    match:'];
  if (mac) lines.push(`      macaddress: ${q(mac)}`);
  else lines.push('      name: "e*"');
  const net = ci.network;
  if (!net) {
    lines.push('    dhcp4: true');
  } else {
    lines.push('    dhcp4: false', '    addresses:', `      - ${q(net.address)}`);
    if (net.gateway) lines.push('    routes:', '      - to: "0.0.0.0/0"', `        via: ${q(net.gateway)}`);
    if (net.nameservers.length > 0) lines.push('    nameservers:', '      addresses:', ...net.nameservers.map((n) => `        - ${q(n)}`));
  }
  return lines.join('\n') + '\n';
}

/** Tool runs of the seed; a test or a caller with an operation passes its own. */
export interface SeedToolOptions {
  runner?: ProcessRunner;
  signal?: AbortSignal;
}

/** The ISO's name while the tool writes it, inside the staging folder (never one of SEED_FILES). */
const SEED_BUILD_NAME = 'seed.iso';

/**
 * Writes the files beside the ISO and builds it atomically. The ISO's folder must be
 * root's (a VM's folder always is): the files go into a fresh root-only staging folder
 * in it, created by name with no link followed, the tool writes its output there, and
 * the result is renamed over the seed's name, which replaces whatever stood there
 * without following it.
 */
export async function writeSeedIso(isoPath: string, files: SeedFiles, opts: SeedToolOptions = {}): Promise<void> {
  const runner = opts.runner ?? new ProcessRunner();
  const folder = dirname(isoPath);
  const st = await lstat(folder);
  if (!st.isDirectory() || st.uid !== 0) throw new NovaError('internal', `the cloud-init seed's folder ${folder} must be a folder of root's`);
  const dir = join(folder, 'cidata');
  await removeConfined(folder, dir, 'the cloud-init staging folder');
  await mkdir(dir, { mode: 0o700 });
  const names = SEED_FILES.filter((f) => files[f] !== undefined);
  for (const f of names) await writeConfined(folder, join(dir, f), files[f] ?? '', 0o600, 'a cloud-init seed file');
  const tmp = join(dir, SEED_BUILD_NAME);
  const build = (argv: string[]) => runner.run({ argv, timeoutMs: 30_000, what: 'building the cloud-init seed ISO', ...(opts.signal ? { signal: opts.signal } : {}) });
  try {
    try {
      await build(genisoimageArgv(tmp, dir, names));
    } catch (err) {
      if (!isNovaError(err, 'unavailable')) throw err;
      await build(xorrisoArgv(tmp, dir, names));
    }
  } catch (err) {
    await rm(tmp, { force: true });
    if (isNovaError(err, 'unavailable')) throw new NovaError('unsupported', 'cloud-init seeds need genisoimage or xorriso: install the genisoimage package');
    throw err;
  }
  await rename(tmp, isoPath);
}

const SHA512_CRYPT = /^\$6\$([^$\s]{1,16})\$[A-Za-z0-9./]{86}$/;

/**
 * crypt(3) SHA-512 ("$6$salt$hash") through `openssl passwd -6`, the password on stdin so
 * it never shows in a process list. Given the previous hash, its salt is reused: the same
 * password then gives the same hash, and an unchanged NovaFile leaves the seed unchanged.
 */
export async function hashPassword(password: string, previous?: string, opts: SeedToolOptions = {}): Promise<string> {
  if (/[\r\n]/.test(password)) throw new NovaError('invalid_argument', 'a cloud-init password cannot contain line breaks');
  const salt = previous ? SHA512_CRYPT.exec(previous)?.[1] : undefined;
  const runner = opts.runner ?? new ProcessRunner();
  let hash = '';
  let said = '';
  try {
    const r = await runner.run({ argv: opensslPasswdArgv(salt), input: `${password}\n`, timeoutMs: 10_000, allowFailure: true, what: 'openssl passwd', ...(opts.signal ? { signal: opts.signal } : {}) });
    hash = r.stdout.trim();
    said = r.stderr.trim();
  } catch (err) {
    if (!isNovaError(err, 'unavailable')) throw err;
    said = err.message;
  }
  if (!SHA512_CRYPT.test(hash)) {
    throw new NovaError('unavailable', `cannot hash the cloud-init password with openssl passwd -6: ${said || 'no hash printed'}; install openssl`);
  }
  return hash;
}

/** The stored form of a caller's cloud-init settings: the password replaced by its hash. */
export async function cloudInitDefinition(spec: CloudInitSpec, previous: CloudInitDefinition | null, opts: SeedToolOptions = {}): Promise<CloudInitDefinition> {
  const { password, ...rest } = spec;
  const def: CloudInitDefinition = { ...rest };
  if (password !== undefined) def.passwordHash = await hashPassword(password, previous?.passwordHash, opts);
  return def;
}
