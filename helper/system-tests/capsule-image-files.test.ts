// Files an image brings are read inside the image, never on the host (issue 12, item 6),
// against the real helper, skopeo, umoci and runc. The images are OCI archives whose config
// names a user ("app", or a user of this host), so the user is looked up in the image's
// /etc/passwd, which the test makes a symlink: to a FIFO the test made on the host (a read
// of it blocks until someone writes), or to the host's own /etc/passwd. Neither umoci's
// unpack nor the helper may follow those links: the helper keeps answering within 1 s while
// creates of such capsules run, nothing reads the FIFO, and no capsule gets the host's ids.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, open, rm, symlink, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { startCapsuleHelper, stopCapsuleHelper, type CapsuleHelper } from './fixtures/capsule-helper.js';
import { traceSyscalls, type TracedCall } from './fixtures/syscall-trace.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, request, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const TAG = `nv12c-${RUN}`;
/** Writes a passwd line to the FIFO for every reader that opens it, and says how many there were. */
const FEEDER = `
import os, sys
fifo, n = sys.argv[1], 0
while True:
    fd = os.open(fifo, os.O_WRONLY)
    n += 1
    print(n, flush=True)
    try:
        os.write(fd, b"app:x:1000:1000::/:/bin/sh\\n")
    except OSError:
        pass
    os.close(fd)
`;

let dir = '';
let fifo = '';
let h: CapsuleHelper | null = null;
let helper: RunningHelper;
let client: HelperClient;
let busyboxTar = '';
const made: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await makeTestDir(TAG);
  busyboxTar = await makeBusyboxRootfs(dir);
  fifo = join(dir, 'host-fifo');
  execFileSync('mkfifo', ['-m', '0666', fifo]);
  await chown(fifo, 65534, 65534);
  h = await startCapsuleHelper(dir);
  ({ helper, client } = h);
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  // A helper thread still waiting to open the FIFO is let go: a writer appears, writes, leaves.
  const fh = await open(fifo, constants.O_RDWR | constants.O_NONBLOCK).catch(() => null);
  await fh?.write('app:x:1000:1000::/:/bin/sh\n').catch(() => undefined);
  await fh?.close();
  await stopCapsuleHelper(h, dir, made);
});

/**
 * An OCI archive of the busybox rootfs with `etc/passwd` (and `etc/group`) replaced by
 * symlinks to `passwdTarget` (`groupTarget`), whose config runs as `user`.
 */
async function hostileImage(label: string, user: string, passwdTarget: string, groupTarget: string): Promise<string> {
  const work = join(dir, `image-${label}`);
  const rootfs = join(work, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  execFileSync('tar', ['--extract', '--file', busyboxTar, '--directory', rootfs]);
  await unlink(join(rootfs, 'etc/passwd'));
  await unlink(join(rootfs, 'etc/group'));
  await symlink(passwdTarget, join(rootfs, 'etc/passwd'));
  await symlink(groupTarget, join(rootfs, 'etc/group'));
  const layer = join(work, 'layer.tar');
  execFileSync('tar', ['--create', '--file', layer, '--numeric-owner', '--directory', rootfs, '.']);
  const layout = join(work, 'oci');
  const image = `${layout}:${label}`;
  execFileSync('umoci', ['init', '--layout', layout]);
  execFileSync('umoci', ['new', '--image', image]);
  execFileSync('umoci', ['raw', 'add-layer', '--image', image, layer]);
  execFileSync('umoci', ['config', '--image', image, `--config.user=${user}`, '--config.cmd=sh', '--config.cmd=-c', '--config.cmd=id -u; id -g']);
  const archive = join(dir, `${label}.oci.tar`);
  execFileSync('tar', ['--create', '--file', archive, '--directory', layout, '.']);
  await rm(work, { recursive: true, force: true });
  await chmod(archive, 0o644);
  return archive;
}

/** A helper.ping on a new connection: its round trip in ms, or null when no answer came within `ms`. */
function pingWithin(socketPath: string, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = createConnection(socketPath);
    let buffer = '';
    const done = (v: number | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), ms);
    socket.on('connect', () => socket.write(request(1, 'helper.ping', { payload: 'x' }) + '\n'));
    socket.on('data', (d: Buffer) => {
      buffer += d.toString();
      if (buffer.split('\n').some((l) => l.includes('"id":1'))) done(Math.round(performance.now() - t0));
    });
    socket.on('error', () => done(null));
  });
}

/** Opens by a path inside the image store that ended on a file outside it: a followed link. */
function ledOutOfImages(calls: readonly TracedCall[], images: string): TracedCall[] {
  return calls.filter((c) => {
    if (c.failed || c.opened === null) return false;
    const dirfd = /^(?:AT_FDCWD|\d+)<([^>]*)>,/.exec(c.args)?.[1] ?? '';
    const path = c.paths[0] ?? '';
    const full = path.startsWith('/') ? path : `${dirfd}/${path}`;
    return full.startsWith(`${images}/`) && !c.opened.startsWith(`${images}/`);
  });
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string } | null> {
  try {
    await p;
    return null;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code ?? 'not a NovaError', message: e.message ?? String(err) };
  }
}

describe('an image whose /etc/passwd is a symlink out of the image', () => {
  it("to the host's /etc/passwd: the capsule gets none of the host's users", async () => {
    // A user of this host that the image does not have (the image has no passwd of its own).
    const hostUsers = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).filter((f) => f.length > 3 && Number(f[2]) > 0 && Number(f[2]) < 65534);
    const [user, uid, gid] = [hostUsers[0]![0]!, hostUsers[0]![2]!, hostUsers[0]![3]!];
    const archive = await hostileImage('hostpw', user, '/etc/passwd', '/etc/group');
    const trace = await traceSyscalls(helper.process.pid!, ['openat', 'openat2', 'open'], join(dir, 'strace-hostpw.txt'));
    let calls: TracedCall[] = [];
    const name = `${TAG}-hostpw`;
    made.push(name);
    let refused: { code: string; message: string } | null = null;
    let printed: string[] = [];
    try {
      await client.call('ociImage.import', { path: archive, name: `${TAG}-hostpw` });
      refused = await errorOf(client.call('capsule.create', { name, image: `${TAG}-hostpw`, userNamespace: false }));
      if (!refused) {
        await client.call('capsule.start', { name });
        await waitFor(async () => (await client.call('capsule.get', { name })).state === 'stopped', 15_000, `${name} to exit`);
        printed = (await client.call('capsule.logs', { name })).lines.map((l) => l.text);
      }
    } finally {
      calls = await trace.stop();
    }
    expect(printed, `the capsule ran as the host's ${user} (${uid}:${gid})`).not.toEqual([uid, gid]);
    expect(refused).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/\/etc\/passwd.*symbolic link/) });
    expect(ledOutOfImages(calls, join(helper.stateDir, 'capsule-images')).map((c) => `${c.syscall}(${c.args}) = ${c.opened}`)).toEqual([]);
  }, 120_000);

  it('to a FIFO on the host: the helper keeps answering, nothing reads the FIFO, the capsules are refused', async () => {
    const archive = await hostileImage('fifo', 'app', fifo, '/etc/group');
    const feeder = spawn('/usr/bin/python3', ['-c', FEEDER, fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(feeder);
    let readers = 0;
    feeder.stdout!.on('data', (d: Buffer) => (readers = Number(d.toString().trim().split('\n').pop())));
    const trace = await traceSyscalls(helper.process.pid!, ['openat', 'openat2', 'open'], join(dir, 'strace-fifo.txt'));
    let calls: TracedCall[] = [];
    const names = [0, 1, 2, 3, 4].map((i) => `${TAG}-fifo${i}`);
    made.push(...names);
    const pings: (number | null)[] = [];
    let outcomes: ({ code: string; message: string } | null)[] = [];
    let readersDuringImport = -1;
    try {
      // The unpack with today's umoci reads the FIFO: the feeder answers it, so the import ends.
      await Promise.race([
        client.call('ociImage.import', { path: archive, name: `${TAG}-fifo` }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the import did not end within 60 s')), 60_000)),
      ]);
      readersDuringImport = readers;
      feeder.kill('SIGKILL');
      // More creates than libuv has threads (4): each one that opened the FIFO would hold one.
      const creates = names.map((name) => errorOf(client.call('capsule.create', { name, image: `${TAG}-fifo`, userNamespace: false })));
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        pings.push(await pingWithin(helper.socketPath, 1000));
        await new Promise((r) => setTimeout(r, 100));
      }
      outcomes = await Promise.race([
        Promise.all(creates),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the creates did not end within 20 s; pings: ${pings.join(', ')}`)), 20_000)),
      ]);
    } finally {
      feeder.kill('SIGKILL');
      calls = await trace.stop();
    }
    expect(pings.filter((p) => p === null), `pings (ms): ${pings.join(', ')}`).toEqual([]);
    expect(readersDuringImport, 'the FIFO was opened for reading during the import').toBe(0);
    for (const o of outcomes) {
      expect(o).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/\/etc\/passwd.*symbolic link/) });
      // Where the link points is not the caller's to learn.
      expect(o?.message).not.toContain(fifo);
    }
    expect(ledOutOfImages(calls, join(helper.stateDir, 'capsule-images')).map((c) => `${c.syscall}(${c.args}) = ${c.opened}`)).toEqual([]);
  }, 180_000);
});
