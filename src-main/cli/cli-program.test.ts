import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovaError, type HostReport } from '../../src-shared/index.js';
import type { HelperClient } from '../core/helper-client.js';
import { runCli, type CliOverrides } from './cli-program.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv2u-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], overrides: CliOverrides = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, overrides);
  return { code, stdout, stderr };
}

const report: HostReport = {
  hostname: 'testhost',
  generatedAt: '2026-11-23T10:00:00.000Z',
  durationMs: 1200,
  cached: false,
  accelerator: 'tcg',
  ociRuntime: 'runc',
  items: [
    { id: 'kvm', group: 'virtualization', label: 'KVM', status: 'warn', summary: 'present but unusable', evidence: ['/sys/module/kvm_pvm'], remedy: 'use a host with kvm_intel or kvm_amd' },
    { id: 'cpu', group: 'hardware', label: 'CPU', status: 'ok', summary: 'AMD EPYC, 2 cores', evidence: [], remedy: null },
  ],
};

function fakeHelper(answer: (method: string, params: unknown) => unknown): CliOverrides {
  return {
    connectHelper: async () =>
      ({
        call: async (method: string, params: unknown) => answer(method, params),
        close: () => undefined,
      }) as unknown as HelperClient,
  };
}

describe('nova CLI', () => {
  it('prints usage and exits 2 when given nothing', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage: nova');
  });

  it.each([[['frobnicate']], [['host', 'inspect']], [['--bogus', 'version']], [['web', '--port', '70000']], [['host', 'check', '--refrsh']]])(
    'exits 2 on the usage error %j and says what was wrong',
    async (argv) => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/error|unknown|invalid/i);
    },
  );

  it.each([[['--help']], [['host', '--help']], [['host', 'check', '--help']], [['validate', '--help']], [['web', '--help']], [['version', '--help']]])(
    'answers %j with help and exit 0',
    async (argv) => {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: nova');
    },
  );

  it('prints its version, also as JSON', async () => {
    expect((await run(['version'])).stdout).toMatch(/^nova \d+\.\d+\.\d+\n$/);
    expect(JSON.parse((await run(['--json', 'version'])).stdout)).toEqual({ version: expect.any(String) });
    const flag = await run(['--version']);
    expect({ code: flag.code, stdout: flag.stdout }).toEqual({ code: 0, stdout: (await run(['version'])).stdout });
  });

  it('prints the host check grouped, with status words, evidence and remedy', async () => {
    const calls: unknown[] = [];
    const r = await run(['host', 'check', '--refresh'], fakeHelper((m, p) => (calls.push([m, p]), report)));
    expect(r.code).toBe(0);
    expect(calls).toEqual([['host.check', { refresh: true }]]);
    expect(r.stdout).toContain('VMs will use TCG (software emulation)');
    expect(r.stdout).toMatch(/Virtualization\n {2}WARN {2}KVM: present but unusable/);
    expect(r.stdout).toContain('/sys/module/kvm_pvm');
    expect(r.stdout).toContain('-> use a host with kvm_intel or kvm_amd');
  });

  it('prints the report as JSON with --json (global or local)', async () => {
    for (const argv of [['--json', 'host', 'check'], ['host', 'check', '--json']]) {
      const r = await run(argv, fakeHelper(() => report));
      expect(JSON.parse(r.stdout)).toEqual(report);
    }
  });

  it('exits 1 when a host check item failed', async () => {
    const failing = { ...report, items: [{ ...report.items[1]!, status: 'fail' as const }] };
    expect((await run(['host', 'check'], fakeHelper(() => failing))).code).toBe(1);
  });

  it('reports a helper error with its code and exits 1', async () => {
    const r = await run(['host', 'check'], fakeHelper(() => {
      throw new NovaError('not_authorized', 'Not authorized: org.nova.host.inspect for uid 1000: polkit does not allow it');
    }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('nova: Not authorized: org.nova.host.inspect for uid 1000: polkit does not allow it [not_authorized]\n');
  });

  it('prints an error object with --json', async () => {
    const r = await run(['--json', 'host', 'check'], fakeHelper(() => {
      throw new NovaError('unavailable', 'The Nova helper is not reachable');
    }));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'unavailable', message: 'The Nova helper is not reachable' } });
  });

  it('fails clearly when the helper is not running and autostart is off', async () => {
    const r = await run(['--socket', join(dir, 'none.sock'), '--no-autostart', 'host', 'check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not reachable.*\[unavailable\]/);
  });

  it('validates a good NovaFile with exit 0 and a summary', async () => {
    const file = join(dir, 'good.toml');
    await writeFile(file, 'project = "demo"\n\n[network.lan]\ntype = "bridge"\nprofile = "internal"\n');
    const r = await run(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('is valid: project demo');
  });

  it('reports a bad NovaFile with file:line:column and exit 1', async () => {
    const file = join(dir, 'bad.toml');
    await writeFile(file, 'project = "demo"\n\n[vm.web]\ncpu = 0\n');
    const r = await run(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/\//g, '\\/')}:4:7: error: vm\\.web\\.cpu: `));
  });

  it('reports a missing NovaFile and exits 1', async () => {
    const r = await run(['validate', join(dir, 'absent.toml')]);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/absent\.toml/);
  });
});
