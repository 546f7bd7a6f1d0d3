import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveCdiDevices, splitCdiName } from './cdi-specs.js';
import { resolveCapsuleGpus } from './gpu-nodes.js';

const dirs: string[] = [];
function specDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'nv10c-cdi-'));
  dirs.push(d);
  chmodSync(d, 0o755);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text, { mode: 0o644 });
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// As `nvidia-ctk cdi generate` writes it, shortened: nodes per GPU, and the driver's
// control nodes, libraries, environment and ldcache hook common to all of them.
const NVIDIA_YAML = `---
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
      hostPath: /dev/null
- name: "1"
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia1
      hostPath: /dev/zero
- name: all
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
      hostPath: /dev/null
    - path: /dev/nvidia1
      hostPath: /dev/zero
containerEdits:
  env:
  - NVIDIA_VISIBLE_DEVICES=void
  deviceNodes:
  - path: /dev/nvidiactl
    hostPath: /dev/full
  mounts:
  - hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05
    containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05
    options: [ro, nosuid, nodev, bind]
  hooks:
  - hookName: createContainer
    path: /usr/bin/nvidia-ctk
    args: [nvidia-ctk, hook, update-ldcache, --folder, /usr/lib/x86_64-linux-gnu]
`;

describe('CDI specs (the NVIDIA container toolkit\'s)', () => {
  it('reads a device name as kind and name, and refuses what is not one', () => {
    expect(splitCdiName('nvidia.com/gpu=0')).toEqual({ kind: 'nvidia.com/gpu', name: '0' });
    expect(splitCdiName('nvidia.com/gpu=GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c')).toEqual({ kind: 'nvidia.com/gpu', name: 'GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c' });
    expect(splitCdiName('renderD128')).toBeNull();
    expect(splitCdiName('nvidia.com/gpu=../x')).toBeNull();
  });

  it("gives GPU 0 its node, and once the driver's nodes, libraries, environment and hooks", async () => {
    const dir = specDir({ 'nvidia.yaml': NVIDIA_YAML });
    const grant = await resolveCdiDevices([dir], ['nvidia.com/gpu=0']);
    expect(grant.nodes).toEqual([{ hostPath: '/dev/full', path: '/dev/nvidiactl' }, { hostPath: '/dev/null', path: '/dev/nvidia0' }]);
    expect(grant.mounts).toEqual([{ hostPath: '/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05', containerPath: '/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05', options: ['ro', 'nosuid', 'nodev', 'bind'] }]);
    expect(grant.env).toEqual(['NVIDIA_VISIBLE_DEVICES=void']);
    expect(grant.hooks).toHaveLength(1);
    const both = await resolveCdiDevices([dir], ['nvidia.com/gpu=0', 'nvidia.com/gpu=1']);
    expect(both.nodes.map((n) => n.path)).toEqual(['/dev/nvidiactl', '/dev/nvidia0', '/dev/nvidia1']);
    expect(both.mounts).toHaveLength(1);
  });

  it('reads JSON specs too, and a later folder wins for the same device', async () => {
    const early = specDir({ 'nvidia.yaml': NVIDIA_YAML });
    const late = specDir({ 'nvidia.json': JSON.stringify({ cdiVersion: '0.6.0', kind: 'nvidia.com/gpu', devices: [{ name: '0', containerEdits: { deviceNodes: [{ path: '/dev/nvidia0', hostPath: '/dev/zero' }] } }] }) });
    const grant = await resolveCdiDevices([early, late], ['nvidia.com/gpu=0']);
    expect(grant.nodes).toEqual([{ hostPath: '/dev/zero', path: '/dev/nvidia0' }]);
  });

  it('names the devices the host has when one is not there, and how to make a spec when none is', async () => {
    const dir = specDir({ 'nvidia.yaml': NVIDIA_YAML });
    await expect(resolveCdiDevices([dir], ['nvidia.com/gpu=7'])).rejects.toMatchObject({
      code: 'not_found',
      message: 'No CDI device nvidia.com/gpu=7; this host has nvidia.com/gpu=0, nvidia.com/gpu=1, nvidia.com/gpu=all',
    });
    await expect(resolveCdiDevices([specDir({})], ['nvidia.com/gpu=0'])).rejects.toMatchObject({ message: expect.stringContaining('nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml') });
  });

  it('trusts no spec others can write: its hooks would run as root', async () => {
    const dir = specDir({ 'nvidia.yaml': NVIDIA_YAML });
    chmodSync(join(dir, 'nvidia.yaml'), 0o666);
    await expect(resolveCdiDevices([dir], ['nvidia.com/gpu=0'])).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining(`Not trusted: ${join(dir, 'nvidia.yaml')} (not a regular file owned by root and writable only by it)`),
    });
    const open = specDir({ 'nvidia.yaml': NVIDIA_YAML });
    chmodSync(open, 0o777);
    await expect(resolveCdiDevices([open], ['nvidia.com/gpu=0'])).rejects.toMatchObject({ message: expect.stringContaining('not owned by root, or writable by others') });
  });

  it('refuses a mount that is no bind and a relative path, naming the spec', async () => {
    const spec = (edits: object) => specDir({ 'x.yaml': JSON.stringify({ cdiVersion: '0.5.0', kind: 'example.com/gpu', devices: [{ name: 'a', containerEdits: edits }] }) });
    await expect(resolveCdiDevices([spec({ mounts: [{ hostPath: '/dev/sda1', containerPath: '/mnt', type: 'ext4', options: ['rw'] }] })], ['example.com/gpu=a'])).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('mounts /mnt without bind'),
    });
    await expect(resolveCdiDevices([spec({ deviceNodes: [{ path: 'dev/x' }] })], ['example.com/gpu=a'])).rejects.toMatchObject({ message: expect.stringContaining('"dev/x", which is not an absolute path') });
  });

  it('gives a capsule the nodes by their numbers; "all" takes nvidia.com/gpu=all beside /dev/dri', async () => {
    const dir = specDir({ 'nvidia.yaml': NVIDIA_YAML });
    const devRoot = mkdtempSync(join(tmpdir(), 'nv10c-dev-'));
    dirs.push(devRoot);
    mkdirSync(join(devRoot, 'dri'));
    const one = await resolveCapsuleGpus({ devRoot, cdiDirs: [dir] }, ['nvidia.com/gpu=0']);
    // /dev/full is 1:7 and /dev/null 1:3 on Linux.
    expect(one.nodes.map((n) => [n.path, n.major, n.minor])).toEqual([['/dev/nvidiactl', 1, 7], ['/dev/nvidia0', 1, 3]]);
    expect(one.cdi.env).toEqual(['NVIDIA_VISIBLE_DEVICES=void']);
    const all = await resolveCapsuleGpus({ devRoot, cdiDirs: [dir] }, 'all');
    expect(all.nodes.map((n) => n.path)).toEqual(['/dev/nvidiactl', '/dev/nvidia0', '/dev/nvidia1']);
    await expect(resolveCapsuleGpus({ devRoot, cdiDirs: [] }, 'all')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a spec node the host lacks: the driver is not loaded', async () => {
    const dir = specDir({ 'g.json': JSON.stringify({ cdiVersion: '0.5.0', kind: 'nvidia.com/gpu', devices: [{ name: '0', containerEdits: { deviceNodes: [{ path: '/dev/nvidia0', hostPath: '/nonexistent/nvidia0' }] } }] }) });
    await expect(resolveCapsuleGpus({ devRoot: '/nonexistent', cdiDirs: [dir] }, ['nvidia.com/gpu=0'])).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('/nonexistent/nvidia0 is not on this host: is the driver loaded?'),
    });
  });
});
