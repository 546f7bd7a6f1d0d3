// Docker-style references: normalization and the malformed ones refused with a reason.
import { describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { isLoopbackRegistry, normalizeImageReference, parseImageReference } from './image-reference.js';

describe('image references', () => {
  it.each([
    ['ubuntu:22.04', 'docker.io/library/ubuntu:22.04'],
    ['ubuntu', 'docker.io/library/ubuntu:latest'],
    ['grafana/grafana', 'docker.io/grafana/grafana:latest'],
    ['ghcr.io/org/app:v1.2', 'ghcr.io/org/app:v1.2'],
    ['127.0.0.1:5000/nv/busybox:1', '127.0.0.1:5000/nv/busybox:1'],
    ['localhost/app', 'localhost/app:latest'],
    [`alpine@sha256:${'a'.repeat(64)}`, `docker.io/library/alpine@sha256:${'a'.repeat(64)}`],
    [`quay.io/a/b:t@sha256:${'0'.repeat(64)}`, `quay.io/a/b:t@sha256:${'0'.repeat(64)}`],
  ])('%s -> %s', (ref, expected) => {
    expect(normalizeImageReference(ref)).toBe(expected);
  });

  it.each(['', 'Ubuntu', 'ubuntu:', 'ubuntu:-x', 'a b', 'ubuntu@sha256:123', '/ubuntu', 'ubuntu//x', 'ubuntu:22.04:1', 'bad_host.:5000/x', '../x'])(
    'refuses %j',
    (ref) => {
      let err: unknown;
      try {
        parseImageReference(ref);
      } catch (e) {
        err = e;
      }
      expect(isNovaError(err, 'invalid_argument')).toBe(true);
    },
  );

  it('knows loopback registries', () => {
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost')).toBe(true);
    expect(isLoopbackRegistry('docker.io')).toBe(false);
    expect(isLoopbackRegistry('127.0.0.1.evil.com:5000')).toBe(false);
  });
});
