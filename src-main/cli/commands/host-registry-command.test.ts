// `nova host add|ls|rm` and `--host` without any ssh: the registry in a temp config
// folder, the table, and `nova connect`'s byte pipe against a real unix socket.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli-program.js';
import { pipeToSocket } from './connect-command.js';
import { formatHostTable } from './host-registry-command.js';

let dir = '';
let savedConfig: string | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nv15s-cli-'));
  savedConfig = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = dir;
});
afterEach(async () => {
  if (savedConfig === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = savedConfig;
  await rm(dir, { recursive: true, force: true });
});

async function nova(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('nova host', () => {
  it('registers without a check, lists none reachable only when asked, and removes', async () => {
    expect(await nova(['host', 'add', '--no-check', 'closet', 'ssh://admin@closet.lan'])).toMatchObject({ code: 0, out: 'closet: ssh://admin@closet.lan\n' });
    expect((await nova(['host', 'add', '--no-check', 'closet', 'ssh://x'])).err).toContain('already registered');
    expect(await nova(['host', 'rm', 'closet'])).toMatchObject({ code: 0, out: 'closet: removed\n' });
    expect(await nova(['host', 'ls'])).toMatchObject({ code: 0, out: expect.stringContaining('No hosts registered') });
  });

  it('refuses --host names that are neither registered nor addresses, before anything runs', async () => {
    const unknown = await nova(['--host', 'attic', 'vm', 'ls']);
    expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('No host named "attic" is registered') });
    const bad = await nova(['--host', 'ssh://a b', 'vm', 'ls']);
    expect(bad).toMatchObject({ code: 1, err: expect.stringContaining('[invalid_argument]') });
  });

  it('tables reachable and unreachable hosts, with the reason below', () => {
    const table = formatHostTable([
      { name: 'closet', url: 'ssh://closet', reachable: true, version: '0.1.0', accelerator: 'kvm', vms: 2, capsules: 1, error: null },
      { name: 'attic', url: 'ssh://attic', reachable: false, version: null, accelerator: null, vms: null, capsules: null, error: 'ssh could not connect' },
    ]);
    expect(table.split('\n')).toEqual([
      'NAME    URL           STATE        VERSION  ACCEL  VMS  CAPSULES',
      'closet  ssh://closet  reachable    0.1.0    kvm    2    1',
      'attic   ssh://attic   unreachable  -        -      -    -',
      '',
      'attic: ssh could not connect',
    ]);
  });
});

describe('nova connect', () => {
  it("joins stdin and stdout to the helper's socket byte for byte, and ends when input ends", async () => {
    const socketPath = path.join(dir, 'helper.sock');
    const server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      const input = new PassThrough();
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      output.on('data', (c: Buffer) => chunks.push(c));
      const done = pipeToSocket(socketPath, input, output);
      input.end(Buffer.from([0, 0, 0, 2, 123, 125]));
      await done;
      expect(Buffer.concat(chunks)).toEqual(Buffer.from([0, 0, 0, 2, 123, 125]));
    } finally {
      server.close();
    }
  });

  it('refuses when nothing listens', async () => {
    await expect(pipeToSocket(path.join(dir, 'none.sock'), new PassThrough(), new PassThrough())).rejects.toMatchObject({ code: 'unavailable' });
  });
});
