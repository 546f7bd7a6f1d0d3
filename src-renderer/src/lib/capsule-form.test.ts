import { describe, expect, it } from 'vitest';
import { capsuleSpecFromForm, EMPTY_CAPSULE_FORM, splitCommand, type CapsuleForm } from './capsule-form.js';

const form = (over: Partial<CapsuleForm>): CapsuleForm => ({ ...EMPTY_CAPSULE_FORM, name: 'web', image: 'busybox', ...over });

describe('splitCommand', () => {
  it('splits on blanks and honours quotes and backslashes', () => {
    expect(splitCommand(`sh -c 'while true; do echo "$i"; sleep 0.3; done'`)).toEqual(['sh', '-c', 'while true; do echo "$i"; sleep 0.3; done']);
    expect(splitCommand(`echo "a \\"b\\"" c\\ d ''`)).toEqual(['echo', 'a "b"', 'c d', '']);
    expect(splitCommand('  ')).toEqual([]);
  });

  it('refuses an open quote', () => {
    expect(splitCommand(`echo 'oops`)).toBeNull();
  });
});

describe('capsuleSpecFromForm', () => {
  it('builds the spec from a full form', () => {
    const r = capsuleSpecFromForm(
      form({ command: 'sleep 10', env: 'A=1\n\nB=x=y', volumes: '/srv/data:/data:ro', cpus: '0.5', memoryMiB: '64', pids: '32', restart: 'on-failure:3' }),
    );
    expect(r.errors).toEqual({});
    expect(r.spec).toEqual({
      name: 'web',
      image: 'busybox',
      command: ['sleep', '10'],
      env: { A: '1', B: 'x=y' },
      volumes: [{ source: '/srv/data', target: '/data', readOnly: true }],
      cpus: 0.5,
      memoryBytes: 64 * 1024 * 1024,
      pids: 32,
      restart: { mode: 'on-failure', maxRetries: 3 },
    });
  });

  it('leaves the command out when empty, so the image decides', () => {
    expect(capsuleSpecFromForm(form({})).spec).not.toHaveProperty('command');
  });

  it('puts each problem beside its field', () => {
    const r = capsuleSpecFromForm(
      { name: 'Bad/Name', image: '', command: `echo 'x`, env: '1A=2', volumes: 'data', cpus: '-1', memoryMiB: '2', pids: '1.5', restart: 'sometimes' },
      new Set(),
    );
    expect(r.spec).toBeNull();
    expect(Object.keys(r.errors).sort()).toEqual(['command', 'cpus', 'env', 'image', 'memoryMiB', 'name', 'pids', 'restart', 'volumes']);
    expect(r.errors.memoryMiB).toMatch(/at least/);
    expect(r.errors.name).toMatch(/capsule name/);
  });

  it('refuses a name in use and a relative host path', () => {
    const r = capsuleSpecFromForm(form({ volumes: 'data:/data' }), new Set(['web']));
    expect(r.errors.name).toMatch(/exists already/);
    expect(r.errors.volumes).toMatch(/absolute/);
  });
});
