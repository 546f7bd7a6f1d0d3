// Golden argv for the image tools: what the helper spawns, exactly.
import { describe, expect, it } from 'vitest';
import * as a from './image-tool-argv.js';

describe('image tool argv', () => {
  it('pulls with skopeo into an OCI layout, TLS off only when asked', () => {
    expect(a.skopeoPullArgv('/usr/bin/skopeo', '/s/policy.json', 'docker.io/library/ubuntu:22.04', '/s/i/oci', true)).toEqual([
      '/usr/bin/skopeo', '--policy', '/s/policy.json', 'copy', 'docker://docker.io/library/ubuntu:22.04', 'oci:/s/i/oci:image',
    ]);
    expect(a.skopeoPullArgv('skopeo', 'p', '127.0.0.1:5000/x:1', 'd', false)).toEqual([
      'skopeo', '--policy', 'p', 'copy', '--src-tls-verify=false', 'docker://127.0.0.1:5000/x:1', 'oci:d:image',
    ]);
    expect(a.skopeoInspectArgv('skopeo', 'p', '127.0.0.1:5000/x:1', false)).toEqual([
      'skopeo', '--policy', 'p', 'inspect', '--raw', '--tls-verify=false', 'docker://127.0.0.1:5000/x:1',
    ]);
  });
  it('imports archives and rootfs tarballs', () => {
    expect(a.skopeoArchiveArgv('skopeo', 'p', 'oci-archive', '/tmp/a.tar', 'd')).toEqual(['skopeo', '--policy', 'p', 'copy', 'oci-archive:/tmp/a.tar', 'oci:d:image']);
    expect(a.umociInitArgv('umoci', 'd')).toEqual(['umoci', 'init', '--layout', 'd']);
    expect(a.umociNewArgv('umoci', 'd')).toEqual(['umoci', 'new', '--image', 'd:image']);
    expect(a.umociAddLayerArgv('umoci', 'd', '/tmp/r.tar')).toEqual(['umoci', 'raw', 'add-layer', '--image', 'd:image', '/tmp/r.tar']);
    expect(a.umociUnpackArgv('umoci', 'd', 'b/rootfs')).toEqual(['umoci', 'raw', 'unpack', '--image', 'd:image', 'b/rootfs']);
    expect(a.tarListArgv('tar', 'f')).toEqual(['tar', '--list', '--file', 'f']);
  });
});
