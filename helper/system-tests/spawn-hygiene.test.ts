// Every program the real helper starts, seen from inside: a probe stands in for each tool
// (bind-mounted over /usr/local/sbin, first on the helper's fixed PATH, in a mount
// namespace of the helper's own) and records its argv, environment, descriptors, cwd and
// umask before running the real tool. The helper is started the careless way (umask 000,
// stray variables in its environment, a cwd that is not /) and driven through the host
// check, VM create and start, an image import and a network; then each record must show
// only fds 0-2 (and QEMU's own listed descriptors), the allow-listed environment, cwd /
// and umask 022, and hostile text must arrive as one literal argument or be refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { ALLOWED_ENV, FIXED_PATH } from '../src/process/process-runner.js';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { makeTestDir, REPO, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv4i${RUN}`;
const VM = `nv4i-${RUN}`;
const NET = `nv4in${RUN}`;
const IMAGE = `nv4i-img-${RUN}`;
const CAPSULE = `nv4i-cap-${RUN}`;
const TOOLS = ['qemu-img', 'qemu-system-x86_64', 'runc', 'crun', 'conmon', 'ip', 'nft', 'dnsmasq', 'skopeo', 'umoci', 'xorriso', 'genisoimage', 'tar', 'cp', 'mount', 'umount', 'btrfs', 'pkcheck', 'setpriv', 'nsenter'];
const HOSTILE = ['x; rm -rf /', '$(id)', 'line\nbreak', '--help'];
/** Hostile but on one line: cloud-init refuses line breaks in a password. */
const PASSWORD = 'x; rm -rf / $(id) --help';

interface ProbeRecord {
  tool: string;
  argv: string[];
  env: string[];
  fds: number[];
  cwd: string;
  umask: string;
  ppid: number;
}

let dir = '';
let logDir = '';
let helper: RunningHelper;
let client: HelperClient;
let guest: TestGuest;
const refusals: Record<string, string> = {};

async function records(): Promise<ProbeRecord[]> {
  const files = await readdir(logDir);
  const all = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(logDir, f), 'utf8')) as ProbeRecord));
  // Only what the helper itself started: a tool's own children are the tool's business.
  return all.filter((r) => r.ppid === helper.process.pid);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir('nv4i-spawn');
  logDir = join(dir, 'probe-log');
  const probes = join(dir, 'probes');
  await mkdir(logDir, { mode: 0o777 });
  await mkdir(probes);
  execFileSync('gcc', ['-O2', '-Wall', `-DPROBE_LOG_DIR="${logDir}"`, '-o', join(dir, 'tool-probe'), join(REPO, 'helper/system-tests/fixtures/tool-probe.c')]);
  for (const tool of TOOLS) await symlink(join(dir, 'tool-probe'), join(probes, tool));
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  // The mount namespace keeps the probes to this helper; the root mount is private here, so nothing leaks back.
  const wrapper = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /usr/local/sbin && umask 000 && cd /tmp && exec "$@"', probes];
  helper = await startHelper(dir, {
    netns: NETNS,
    wrapper,
    env: { NV4I_LEAK: 'must-not-reach-tools', http_proxy: 'http://127.0.0.9:1', LD_LIBRARY_PATH: '/nonexistent' },
    extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', dir, '--allowed-root', '/var/cache/nova-test-guest'],
  });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();

  await client.call('host.check', { refresh: true });
  // Hostile text as names: refused at the contract, before any program could see it.
  for (const [i, text] of HOSTILE.entries()) {
    refusals[`vm ${i}`] = await code(client.call('vm.create', { name: text }));
    refusals[`network ${i}`] = await code(client.call('network.create', { name: text }));
    refusals[`capsule ${i}`] = await code(client.call('capsule.create', { name: text, image: 'alpine' }));
  }
  // Hostile text where it is allowed: a kernel command line, a description, a password (hashed, never an argument).
  await client.call('vm.create', {
    name: VM,
    kernel: guest.vmlinux,
    initrd: guest.initrdPlain,
    cmdline: `panic=-1 ${HOSTILE.join(' ')}`,
    description: HOSTILE.join(' '),
    diskSize: '16Mi',
    memory: '128Mi',
    display: 'none',
    cloudInit: { hostname: 'nv4i-guest', user: 'nova', password: PASSWORD },
  });
  await client.call('vm.start', { name: VM });
  await client.call('vm.stop', { name: VM, force: true });
  const rootfs = await makeBusyboxRootfs(dir);
  await client.call('ociImage.import', { path: rootfs, name: IMAGE });
  // A capsule's argv and env live in its config.json, never on a command line: runc and conmon see neither.
  await client.call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sh', '-c', `echo "${PASSWORD}"`], env: { NV4I_VALUE: PASSWORD } });
  await client.call('capsule.start', { name: CAPSULE });
  await client.call('network.create', { name: NET, profile: 'internal', subnet: '10.234.0.1/24', dhcpRange: { start: '10.234.0.100', end: '10.234.0.150' } });
}, 300_000);

afterAll(async () => {
  try {
    await client?.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
    await client?.call('capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    spawnSync('ip', ['netns', 'delete', NETNS]);
    if (process.env.NV4I_KEEP) execFileSync('cp', ['-r', logDir, process.env.NV4I_KEEP]);
    await removeTestDir(dir);
  }
});

describe('what the helper gives each program it starts', () => {
  it('started the tools the flows need, each through its probe', async () => {
    const seen = new Set((await records()).map((r) => r.tool));
    for (const tool of ['qemu-img', 'qemu-system-x86_64', 'ip', 'nft', 'dnsmasq', 'umoci', 'conmon']) expect([...seen]).toContain(tool);
    expect([...seen].some((t) => t === 'runc' || t === 'crun')).toBe(true);
    expect([...seen].some((t) => t === 'xorriso' || t === 'genisoimage')).toBe(true);
  });

  it('gives only fds 0-2, beyond the descriptors QEMU is told about on its command line', async () => {
    for (const r of await records()) {
      const named = r.argv.flatMap((a) => [...a.matchAll(/(?:\bfd=|^\/proc\/self\/fd\/)(\d+)/g)].map((m) => Number(m[1])));
      const extra = r.fds.filter((fd) => fd > 2 && !named.includes(fd));
      expect({ tool: r.tool, argv: r.argv.slice(0, 4), extra }).toEqual({ tool: r.tool, argv: r.argv.slice(0, 4), extra: [] });
    }
  });

  it('gives only the allow-listed environment, with the fixed PATH and the C locale', async () => {
    const allowed = new Set(['PATH', 'LC_ALL', 'LANG', ...ALLOWED_ENV]);
    for (const r of await records()) {
      const names = r.env.map((e) => e.slice(0, e.indexOf('=')));
      expect({ tool: r.tool, beyond: names.filter((n) => !allowed.has(n)) }).toEqual({ tool: r.tool, beyond: [] });
      expect(r.env).toContain(`PATH=${FIXED_PATH}`);
      expect(r.env).toContain('LC_ALL=C');
    }
  });

  it('starts each in / (conmon in its run folder) with umask 022, whatever the helper was started with', async () => {
    for (const r of await records()) {
      if (r.tool !== 'conmon') expect({ tool: r.tool, cwd: r.cwd }).toEqual({ tool: r.tool, cwd: '/' });
      expect({ tool: r.tool, umask: r.umask }).toEqual({ tool: r.tool, umask: '022' });
    }
  });

  it('refuses hostile text in names before anything runs', () => {
    for (const [what, answer] of Object.entries(refusals)) expect({ what, answer }).toEqual({ what, answer: 'invalid_argument' });
  });

  it('passes hostile text where it is allowed as one literal argument, and never a password', async () => {
    const all = await records();
    const qemu = all.find((r) => r.tool === 'qemu-system-x86_64' && r.argv.includes('-append'));
    expect(qemu?.argv).toContain(`panic=-1 ${HOSTILE.join(' ')}`);
    for (const r of all) {
      expect(r.argv.filter((a) => a.includes(PASSWORD))).toEqual([]);
      // No argument of any tool is a hostile word alone: none was split out of its string.
      expect(r.argv.filter((a) => HOSTILE.includes(a))).toEqual([]);
    }
  });
});
