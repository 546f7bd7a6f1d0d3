import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNovaFile } from './novafile-parser.js';

// The examples shipped in examples/ are documentation users copy: they must stay valid.
const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

describe('examples', () => {
  it('dev-lab validates', async () => {
    const result = await loadNovaFile(path.join(EXAMPLES, 'dev-lab', 'NovaFile.toml'));
    expect(result.diagnostics).toEqual([]);
    expect(result.summary).toEqual({ project: 'dev-lab', vms: ['win11'], capsules: ['api'], networks: ['bridge0', 'nova-net'] });
  });

  it('hello validates, with paths inside its folder', async () => {
    const dir = path.join(EXAMPLES, 'hello');
    const result = await loadNovaFile(path.join(dir, 'NovaFile.toml'));
    expect(result.diagnostics).toEqual([]);
    const config = result.config;
    expect(config?.domain).toBe('hello.internal');
    expect(config?.vms).toEqual([
      expect.objectContaining({
        name: 'tiny',
        kernel: path.join(dir, 'boot', 'vmlinux'),
        initrd: path.join(dir, 'boot', 'initramfs.cpio'),
        memoryMiB: 256,
        network: 'hello-net',
      }),
    ]);
    // nova up makes the kernel and initramfs in ./boot and the capsule's image before planning.
    expect(config?.assets).toEqual({ busyboxGuest: path.join(dir, 'boot'), busyboxImage: 'hello-web:1' });
    expect(config?.capsules[0]).toMatchObject({
      name: 'web',
      image: { registry: null, repository: 'hello-web', tag: '1' },
      env: { GREETING: 'Hello' },
      ports: [{ hostPort: 8080, guestPort: 8080, protocol: 'tcp' }],
      memoryMiB: 64,
    });
    expect(config?.networks[0]).toMatchObject({
      name: 'hello-net',
      profile: 'nat',
      subnet: { cidr: '10.203.0.0/24', gateway: '10.203.0.1' },
      dhcpRange: { start: '10.203.0.100', end: '10.203.0.199' },
    });
  });
});
