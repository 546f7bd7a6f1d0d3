// The product's own example, typed exactly as the documentation shows it, through the
// real CLI and the real helper, inside a namespace of the test's own where a veth
// stands in for the uplink enp6s0.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killMatching, mentioning } from './fixtures/frozen-child.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const NETNS = `nv2x${randomBytes(3).toString('hex')}`;
let dir = '';
let helper: RunningHelper;

beforeAll(async () => {
  dir = await makeTestDir('nv2x');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['-n', NETNS, 'link', 'add', 'enp6s0', 'type', 'veth', 'peer', 'name', 'nv2xlan']);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'enp6s0', 'up']);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'nv2xlan', 'up']);
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', `${dir}/run`] });
});

afterAll(async () => {
  await helper?.stop();
  // Networks outlive the helper by design: a test that failed before `net rm` leaves dnsmasq.
  if (dir) await killMatching(mentioning(dir));
  spawnSync('ip', ['netns', 'delete', NETNS]);
  await removeTestDir(dir);
});

function nova(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Asynchronous, so the helper's log pipe keeps draining while the CLI runs.
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('nova net create, as the product documents it', () => {
  it('creates hyperv0 with NAT out of enp6s0, DHCP in the given range, and removes it again', async () => {
    const created = await nova(
      'net create hyperv0 --type bridge --profile nat --uplink enp6s0 --subnet 192.168.220.1/24 --dhcp-range 192.168.220.50-192.168.220.150'.split(' '),
    );
    // Without a terminal the CLI reports each step of the create on its own line, and nothing else.
    expect(created.stderr.trim().split('\n')).toEqual([
      'creation: starting',
      'creation: checking the host',
      'creation: creating the bridge',
      'creation: firewall rules',
      'creation: starting dnsmasq',
    ]);
    expect(created.code).toBe(0);

    const addr = JSON.parse(execFileSync('ip', ['-n', NETNS, '-json', 'addr', 'show', 'dev', 'hyperv0'], { encoding: 'utf8' })) as Array<{
      addr_info: Array<{ local: string; prefixlen: number }>;
    }>;
    expect(addr[0]?.addr_info).toEqual(expect.arrayContaining([expect.objectContaining({ local: '192.168.220.1', prefixlen: 24 })]));
    const rules = execFileSync('ip', ['netns', 'exec', NETNS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
    expect(rules).toMatch(/oifname "enp6s0".*masquerade/);
    const dnsmasq = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('dnsmasq') && l.includes(dir));
    expect(dnsmasq).toHaveLength(1);

    const inspect = await nova(['--json', 'net', 'inspect', 'hyperv0']);
    const net = JSON.parse(inspect.stdout) as { status: { state: string }; subnet: string; dhcpRange: { start: string; end: string } | null };
    expect(net.status.state).toBe('active');
    expect(net.dhcpRange).toEqual({ start: '192.168.220.50', end: '192.168.220.150' });

    const removed = await nova(['net', 'rm', 'hyperv0']);
    expect(removed.code).toBe(0);
    expect(spawnSync('ip', ['-n', NETNS, 'link', 'show', 'hyperv0']).status).not.toBe(0);
    expect(execFileSync('ip', ['netns', 'exec', NETNS, 'nft', 'list', 'tables'], { encoding: 'utf8' })).not.toContain('nova');
  });
});
