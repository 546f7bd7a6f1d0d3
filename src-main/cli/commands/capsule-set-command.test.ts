import { describe, expect, it } from 'vitest';
import { CapsuleSchema, CapsuleUpdateSpecSchema, type Capsule } from '../../../src-shared/capsule.js';
import { healthFromOptions, updateFromOptions } from './capsule-set-command.js';

const current: Capsule = CapsuleSchema.parse({
  name: 'nv9h-web',
  spec: { name: 'nv9h-web', image: 'busybox', env: { A: '1', B: '2' }, cpus: 1, health: { probe: { kind: 'tcp', port: 80 }, intervalMs: 10_000, timeoutMs: 5000, retries: 3, startPeriodMs: 0 } },
  imageId: 'x',
  imageName: 'busybox:latest',
  state: 'stopped',
  runtime: 'runc',
  rootfsMode: 'overlay',
  pid: null,
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: null,
  lastExit: null,
  restartCount: 0,
});

describe('nova capsule set', () => {
  it('sends only what the flags change, as capsule.update takes it', () => {
    const u = updateFromOptions(current, [], { memory: 64 * 1024 * 1024, cpus: null });
    expect(u).toEqual({ name: 'nv9h-web', memoryBytes: 64 * 1024 * 1024, cpus: null });
    expect(CapsuleUpdateSpecSchema.safeParse(u).success).toBe(true);
  });

  it('adds to and takes from the environment, and replaces the command', () => {
    const u = updateFromOptions(current, ['sleep', '60'], { env: { C: '3', A: 'x' }, unsetEnv: ['B'] });
    expect(u).toEqual({ name: 'nv9h-web', command: ['sleep', '60'], env: { A: 'x', C: '3' } });
  });

  it('makes a health check from a probe flag, keeps the timing of the current one, and removes it with --no-health', () => {
    expect(healthFromOptions({ healthCmd: 'test -f /tmp/ok', healthInterval: 500 }, current.spec.health)).toEqual({
      probe: { kind: 'exec', command: ['/bin/sh', '-c', 'test -f /tmp/ok'] },
      intervalMs: 500,
      timeoutMs: 5000,
      retries: 3,
      startPeriodMs: 0,
    });
    expect(healthFromOptions({ healthRetries: 1 }, current.spec.health)).toMatchObject({ probe: { kind: 'tcp', port: 80 }, retries: 1 });
    expect(healthFromOptions({ healthHttp: { port: 8080, path: '/ok' } }, undefined)).toMatchObject({ probe: { kind: 'http', port: 8080, path: '/ok', status: 200 }, intervalMs: 10_000 });
    expect(healthFromOptions({ health: false }, current.spec.health)).toBeNull();
    expect(healthFromOptions({}, current.spec.health)).toBeUndefined();
  });

  it('refuses two probes at once, and timing without any check', () => {
    expect(() => healthFromOptions({ healthCmd: 'true', healthTcp: 80 }, undefined)).toThrow(/one of/);
    expect(() => healthFromOptions({ healthRetries: 2 }, undefined)).toThrow(/no health check to time/);
  });
});
