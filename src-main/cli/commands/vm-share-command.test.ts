import { describe, expect, it } from 'vitest';
import type { HelperClient } from '../../core/helper-client.js';
import { runCli } from '../cli-program.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import type { VmShare } from '../../../src-shared/vm-shares.js';

const SRC0: VmShare = { tag: 'share0', source: '/srv/a', target: '/mnt/a', readOnly: false };
const SRC1: VmShare = { tag: 'share1', source: '/srv/b', target: '/mnt/b', readOnly: true };

/** A helper holding one VM with these shares, recording vm.update calls. */
function helperWith(shares: VmShare[], calls: unknown[]) {
  const info = (s: VmShare[]) => ({ definition: { ...sampleVmDefinition({ name: 'web' }), shares: s }, state: 'stopped' });
  const helper = {
    call: async (method: string, params: { shares?: Array<{ source: string; target: string; readOnly: boolean }> }) => {
      if (method === 'vm.get') return info(shares);
      calls.push([method, params]);
      return info((params.shares ?? []).map((s, i) => ({ tag: `share${i}`, ...s })));
    },
    onEvent: () => () => undefined,
    close: () => undefined,
  };
  return { connectHelper: async () => helper as unknown as HelperClient };
}

async function run(argv: string[], shares: VmShare[]) {
  let stdout = '';
  let stderr = '';
  const calls: unknown[] = [];
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, helperWith(shares, calls));
  return { code, stdout, stderr, calls };
}

describe('nova vm share', () => {
  it('adds a folder given relative to the current one, keeping the shares there are', async () => {
    const r = await run(['vm', 'share', 'add', 'web', 'src:/mnt/src:ro'], [SRC0]);
    expect(r.calls).toEqual([['vm.update', { name: 'web', shares: [{ source: '/srv/a', target: '/mnt/a', readOnly: false }, { source: `${process.cwd()}/src`, target: '/mnt/src', readOnly: true }] }]]);
    expect(r.stdout).toContain('mount -t 9p -o trans=virtio share1 /mnt/src');
  });

  it('removes one share by its tag, and says so when the VM has no such share', async () => {
    const r = await run(['vm', 'share', 'rm', 'web', 'share0'], [SRC0, SRC1]);
    expect(r.calls).toEqual([['vm.update', { name: 'web', shares: [{ source: '/srv/b', target: '/mnt/b', readOnly: true }] }]]);
    const none = await run(['vm', 'share', 'rm', 'web', 'share5'], [SRC0]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('VM web has no share share5');
    expect(none.calls).toEqual([]);
  });

  it('lists the shares with how the guest mounts each', async () => {
    const r = await run(['vm', 'share', 'ls', 'web'], [SRC1]);
    expect(r.stdout).toBe('share1  /srv/b -> /mnt/b (read-only)  via 9p\n      in the guest: mount -t 9p -o trans=virtio share1 /mnt/b\n');
    const fs = await run(['vm', 'share', 'ls', 'web'], [{ ...SRC1, via: 'virtiofs' }]);
    expect(fs.stdout).toBe('share1  /srv/b -> /mnt/b (read-only)  via virtiofs\n      in the guest: mount -t virtiofs share1 /mnt/b\n');
  });
});
