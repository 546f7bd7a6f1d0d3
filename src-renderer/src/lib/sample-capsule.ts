// A capsule as the helper reports it, for unit tests of the capsule store and pages:
// stopped, made from busybox, changed as a test needs.
import { CapsuleSchema, type Capsule } from '../../../src-shared/capsule.js';

export function sampleCapsule(name: string, over: Partial<Omit<Capsule, 'name' | 'spec'>> = {}): Capsule {
  return CapsuleSchema.parse({
    name,
    spec: { name, image: 'busybox:latest' },
    imageId: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    imageName: 'busybox:latest',
    state: 'stopped',
    runtime: 'runc',
    rootfsMode: 'overlay',
    pid: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    lastExit: null,
    restartCount: 0,
    ...over,
  });
}
