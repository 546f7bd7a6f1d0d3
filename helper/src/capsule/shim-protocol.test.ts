// Golden argv of the native capsule shim: what the manager passes is what capsule-shim.c parses.
import { describe, expect, it } from 'vitest';
import { shimArgv, type ShimSpec } from './shim-protocol.js';

const spec: ShimSpec = {
  runtime: '/usr/sbin/runc',
  runtimeRoot: '/s/runc',
  bundle: '/s/capsules/web/bundle',
  id: 'nova-web',
  pidFile: '/s/capsules/web/run/container.pid',
  exitFile: '/s/capsules/web/run/exit.json',
  logFile: '/s/capsules/web/logs/capsule.log',
  maxLogBytes: 10485760,
  maxLogFiles: 5,
  firstSeq: 42,
  memoryCgroupDir: '/sys/fs/cgroup/memory/nova/nova-web',
  unifiedCgroupDir: '/sys/fs/cgroup/nova/nova-web',
  rootfsOverlay: { lower: '/s/images/abc/rootfs', upper: '/s/capsules/web/upper', work: '/s/capsules/web/work', target: '/s/capsules/web/bundle/rootfs' },
};

describe('shim argv', () => {
  it('passes every field as --flag value', () => {
    expect(shimArgv(spec)).toEqual([
      '--runtime', '/usr/sbin/runc',
      '--runtime-root', '/s/runc',
      '--bundle', '/s/capsules/web/bundle',
      '--id', 'nova-web',
      '--pid-file', '/s/capsules/web/run/container.pid',
      '--exit-file', '/s/capsules/web/run/exit.json',
      '--log-file', '/s/capsules/web/logs/capsule.log',
      '--max-log-bytes', '10485760',
      '--max-log-files', '5',
      '--first-seq', '42',
      '--memory-cgroup-dir', '/sys/fs/cgroup/memory/nova/nova-web',
      '--unified-cgroup-dir', '/sys/fs/cgroup/nova/nova-web',
      '--overlay-lower', '/s/images/abc/rootfs',
      '--overlay-upper', '/s/capsules/web/upper',
      '--overlay-work', '/s/capsules/web/work',
      '--overlay-target', '/s/capsules/web/bundle/rootfs',
    ]);
  });
  it('leaves out what is null', () => {
    const argv = shimArgv({ ...spec, memoryCgroupDir: null, unifiedCgroupDir: null, rootfsOverlay: null });
    expect(argv).toHaveLength(20);
    expect(argv.filter((a) => a.startsWith('--overlay') || a.includes('cgroup'))).toEqual([]);
  });
});
