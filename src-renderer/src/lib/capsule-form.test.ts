import { describe, expect, it } from 'vitest';
import { CapsuleSpecSchema } from '../../../src-shared/capsule.js';
import { capsuleSpecFromForm, capsuleUpdateFromForm, editFormOf, EMPTY_CAPSULE_FORM, quotedWords, splitCommand, type CapsuleForm } from './capsule-form.js';

const form = (over: Partial<CapsuleForm>): CapsuleForm => ({ ...EMPTY_CAPSULE_FORM, name: 'web', image: 'busybox', ...over });

describe('splitCommand', () => {
  it('splits on blanks and honours quotes and backslashes', () => {
    expect(splitCommand(`sh -c 'while true; do echo "$i"; sleep 0.3; done'`)).toEqual(['sh', '-c', 'while true; do echo "$i"; sleep 0.3; done']);
    expect(splitCommand(`echo "a \\"b\\"" c\\ d ''`)).toEqual(['echo', 'a "b"', 'c d', '']);
    expect(splitCommand('  ')).toEqual([]);
  });

  it('is read back from the quoted list the form shows', () => {
    const words = ['sh', '-c', `echo "it's" $HOME`, ''];
    expect(quotedWords(words)).toBe(`sh -c 'echo "it'\\''s" $HOME' ''`);
    expect(splitCommand(quotedWords(words))).toEqual(words);
  });

  it('refuses an open quote', () => {
    expect(splitCommand(`echo 'oops`)).toBeNull();
  });
});

describe('capsuleSpecFromForm', () => {
  it('builds the spec from a full form', () => {
    const r = capsuleSpecFromForm(
      form({
        entrypoint: '/bin/sh -c',
        command: `'echo $GREETING; sleep 10'`,
        env: 'A=1\n\nB=x=y',
        volumes: '/srv/data:/data:ro',
        cpus: '0.5',
        memoryMiB: '64',
        pids: '32',
        ioWeight: '500',
        restart: 'on-failure:3',
        stopTimeoutSec: '3',
        hostname: 'web-1',
        user: '1000:1000',
        workdir: '/srv',
        network: 'lan',
        address: '10.88.0.5',
        ports: '8080:80\n5353:53/udp',
      }),
    );
    expect(r.errors).toEqual({});
    expect(r.spec).toEqual({
      name: 'web',
      image: 'busybox',
      entrypoint: ['/bin/sh', '-c'],
      command: ['echo $GREETING; sleep 10'],
      ioWeight: 500,
      stopTimeoutSec: 3,
      hostname: 'web-1',
      user: '1000:1000',
      workdir: '/srv',
      network: 'lan',
      address: '10.88.0.5',
      ports: [
        { hostPort: 8080, guestPort: 80, protocol: 'tcp' },
        { hostPort: 5353, guestPort: 53, protocol: 'udp' },
      ],
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
      {
        ...EMPTY_CAPSULE_FORM,
        name: 'Bad/Name',
        image: '',
        entrypoint: `"x`,
        command: `echo 'x`,
        env: '1A=2',
        volumes: 'data',
        cpus: '-1',
        memoryMiB: '2',
        pids: '1.5',
        ioWeight: '5',
        restart: 'sometimes',
        stopTimeoutSec: 'soon',
        hostname: 'not a host',
        user: 'root',
        workdir: 'srv',
        network: 'lan',
        ports: '80',
      },
      new Set(),
    );
    expect(r.spec).toBeNull();
    expect(Object.keys(r.errors).sort()).toEqual(
      ['command', 'cpus', 'entrypoint', 'env', 'hostname', 'image', 'ioWeight', 'memoryMiB', 'name', 'pids', 'ports', 'restart', 'stopTimeoutSec', 'user', 'volumes', 'workdir'].sort(),
    );
    expect(r.errors.ioWeight).toBe('a whole number from 10 to 1000');
    expect(r.errors.ports).toMatch(/^line 1: /);
    expect(r.errors.memoryMiB).toMatch(/at least/);
    expect(r.errors.name).toMatch(/capsule name/);
  });

  it('refuses a name in use and a relative host path', () => {
    const r = capsuleSpecFromForm(form({ volumes: 'data:/data' }), new Set(['web']));
    expect(r.errors.name).toMatch(/exists already/);
    expect(r.errors.volumes).toMatch(/absolute/);
  });
});

describe('ports and addresses need a network', () => {
  it('says so beside the ports and the address', () => {
    const r = capsuleSpecFromForm(form({ ports: '8080:80', address: '10.88.0.5' }));
    expect(r.errors.ports).toBe('publishing a port needs a network: choose one above');
    expect(r.errors.address).toBe('an address needs a network: choose one first');
  });
});

describe('capsuleUpdateFromForm', () => {
  const spec = CapsuleSpecSchema.parse({ name: 'web', image: 'busybox', env: { A: '1' }, memory: '64Mi', restart: 'always', network: 'lan', ports: ['8080:80'] });

  it('changes nothing for the form as it opens', () => {
    const r = capsuleUpdateFromForm('web', spec, editFormOf(spec));
    expect(r).toEqual({ update: { name: 'web' }, errors: {}, changed: false });
  });

  it('sends only what differs, an emptied limit or network as null', () => {
    const r = capsuleUpdateFromForm('web', spec, { ...editFormOf(spec), env: 'A=2\nB=3', memoryMiB: '', cpus: '1.5', network: '', ports: '' });
    expect(r.errors).toEqual({});
    expect(r.changed).toBe(true);
    expect(r.update).toEqual({ name: 'web', env: { A: '2', B: '3' }, memoryBytes: null, cpus: 1.5, network: null, ports: [] });
  });

  it('edits what the capsule runs, its volumes, and gives the image back its own when emptied', () => {
    const running = CapsuleSpecSchema.parse({
      name: 'web', image: 'busybox', entrypoint: ['/bin/sh', '-c'], command: ['echo "hi there"'], user: '1000:1000', workdir: '/srv', hostname: 'w1', volumes: ['/srv/data:/data:ro'],
    });
    const form = editFormOf(running);
    expect(form).toMatchObject({ entrypoint: '/bin/sh -c', command: `'echo "hi there"'`, user: '1000:1000', workdir: '/srv', hostname: 'w1', volumes: '/srv/data:/data:ro' });
    expect(capsuleUpdateFromForm('web', running, form).changed).toBe(false);
    const r = capsuleUpdateFromForm('web', running, { ...form, entrypoint: '', command: 'sleep 60', user: '', workdir: '/app', volumes: '/srv/data:/data\n/srv/logs:/logs:ro' });
    expect(r.errors).toEqual({});
    expect(r.update).toEqual({
      name: 'web', entrypoint: null, command: ['sleep', '60'], user: null, workdir: '/app',
      volumes: [{ source: '/srv/data', target: '/data', readOnly: false }, { source: '/srv/logs', target: '/logs', readOnly: true }],
    });
  });

  it('refuses an open quote, a relative working directory and a volume without a target, beside each field', () => {
    const r = capsuleUpdateFromForm('web', spec, { ...editFormOf(spec), command: 'echo "oops', workdir: 'srv', volumes: '/srv/data' });
    expect(r.update).toBeNull();
    expect(Object.keys(r.errors).sort()).toEqual(['command', 'volumes', 'workdir']);
    expect(r.errors.command).toBe('a quote is not closed');
  });

  it('keeps each problem beside its field and sends nothing', () => {
    const r = capsuleUpdateFromForm('web', spec, { ...editFormOf(spec), restart: 'sometimes', pids: '0', network: '', ports: '8080:80' });
    expect(r.update).toBeNull();
    expect(Object.keys(r.errors).sort()).toEqual(['pids', 'ports', 'restart']);
  });
});
