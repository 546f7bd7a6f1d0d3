import { describe, expect, it } from 'vitest';
import { applyCapsuleUpdate, CapsuleSpecSchema, CapsuleUpdateSpecSchema, MIN_MEMORY_BYTES } from './capsule.js';
import { HEALTH_DEFAULTS, healthCheckProblem, type HealthCheck } from './health.js';

const base = CapsuleSpecSchema.parse({
  name: 'nv9h-web',
  image: 'busybox',
  cpus: 2,
  memory: '256Mi',
  env: { A: '1' },
  network: 'lab',
  ports: ['8080:80'],
  health: { probe: { kind: 'exec', command: ['true'] }, ...HEALTH_DEFAULTS },
});

function updated(change: Record<string, unknown>) {
  const parsed = CapsuleUpdateSpecSchema.parse({ name: 'nv9h-web', ...change });
  return CapsuleSpecSchema.safeParse(applyCapsuleUpdate(base, parsed));
}

describe('capsule.update changes', () => {
  it('keeps every key it is not given', () => {
    const r = updated({});
    expect(r.success && r.data).toEqual(base);
  });

  it('takes memory as a size and replaces a memoryBytes already set', () => {
    const r = updated({ memory: '1g' });
    expect(r.success && r.data.memoryBytes).toBe(1024 * 1024 * 1024);
    expect(r.success && 'memory' in r.data).toBe(false);
  });

  it('removes an optional key given as null, and replaces env and ports whole', () => {
    const r = updated({ cpus: null, health: null, env: { B: '2' }, ports: [] });
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(r.data.cpus).toBeUndefined();
    expect(r.data.health).toBeUndefined();
    expect(r.data.env).toEqual({ B: '2' });
    expect(r.data.ports).toEqual([]);
  });

  it('refuses what create refuses: a memory below the floor, memory with memoryBytes, an unknown key', () => {
    expect(() => CapsuleUpdateSpecSchema.parse({ name: 'nv9h-web', memoryBytes: MIN_MEMORY_BYTES - 1 })).toThrow(/memory must be at least/);
    expect(() => CapsuleUpdateSpecSchema.parse({ name: 'nv9h-web', memory: '1g', memoryBytes: 2 ** 30 })).toThrow(/not both/);
    expect(() => CapsuleUpdateSpecSchema.parse({ name: 'nv9h-web', image: 'alpine' })).toThrow();
    expect(() => CapsuleUpdateSpecSchema.parse({ name: 'nv9h-web', restart: 'sometimes' })).toThrow();
  });

  it('parses the vocabulary as create does (restart policy, port mappings, volumes)', () => {
    const r = updated({ restart: 'on-failure:3', ports: ['9000:90/udp'], volumes: ['/srv/data:/data:ro'] });
    expect(r.success && r.data.restart).toEqual({ mode: 'on-failure', maxRetries: 3 });
    expect(r.success && r.data.ports).toEqual([{ hostPort: 9000, guestPort: 90, protocol: 'udp' }]);
    expect(r.success && r.data.volumes).toEqual([{ source: '/srv/data', target: '/data', readOnly: true }]);
  });
});

describe('healthCheckProblem', () => {
  const check = (probe: HealthCheck['probe']): HealthCheck => ({ probe, ...HEALTH_DEFAULTS });

  it('allows each probe where its channel exists', () => {
    expect(healthCheckProblem('capsule', check({ kind: 'exec', command: ['true'] }), false)).toBeNull();
    expect(healthCheckProblem('capsule', check({ kind: 'tcp', port: 80 }), true)).toBeNull();
    expect(healthCheckProblem('vm', check({ kind: 'http', port: 80, path: '/', status: 200 }), true)).toBeNull();
    expect(healthCheckProblem('vm', check({ kind: 'serial', pattern: '^ready$' }), false)).toBeNull();
  });

  it('says why a probe cannot run on this guest', () => {
    expect(healthCheckProblem('vm', check({ kind: 'exec', command: ['true'] }), true)).toMatch(/inside a capsule/);
    expect(healthCheckProblem('capsule', check({ kind: 'serial', pattern: 'x' }), true)).toMatch(/serial console/);
    expect(healthCheckProblem('capsule', check({ kind: 'tcp', port: 80 }), false)).toMatch(/joins none: give it a Nova network or use exec/);
    expect(healthCheckProblem('vm', check({ kind: 'http', port: 80, path: '/', status: 200 }), false)).toMatch(/or use serial/);
  });

  it('refuses a serial pattern that is not a regular expression, naming the fault', () => {
    expect(healthCheckProblem('vm', check({ kind: 'serial', pattern: 'ready(' }), false)).toMatch(/not a regular expression: .*Unterminated group/);
  });
});
