import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grantConsoleAccess, serialLogLink, type ConsoleFs, type VmConsoleFiles } from './display-socket-access.js';

type Kind = 'dir' | 'socket' | 'file';
type Node = { uid: number; gid: number; kind: Kind; mode: number; dev: number; ino: number };

/** A file tree where a hard link is two names for one node object. */
function fakeFs(tree: Record<string, Node>, opts: { linkError?: string; linkedMeanwhile?: boolean } = {}) {
  const ops: string[] = [];
  const find = (p: string): Node => {
    const n = tree[p];
    if (!n) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return n;
  };
  const statOf = (n: Node) => ({
    uid: n.uid,
    gid: n.gid,
    mode: n.mode | (n.kind === 'dir' ? 0o040000 : n.kind === 'socket' ? 0o140000 : 0o100000),
    dev: n.dev,
    ino: n.ino,
    isSocket: () => n.kind === 'socket',
    isDirectory: () => n.kind === 'dir',
    isFile: () => n.kind === 'file',
  });
  const fs: ConsoleFs = {
    lstat: async (p) => statOf(find(p)),
    stat: async (p) => statOf(find(p)),
    chmod: async (p, mode) => {
      ops.push(`chmod ${mode.toString(8)} ${p}`);
      find(p).mode = mode;
    },
    chown: async (p, uid, gid) => {
      ops.push(`chown ${uid}:${gid} ${p}`);
      Object.assign(find(p), { uid, gid });
    },
    link: async (from, to) => {
      if (opts.linkedMeanwhile) tree[to] = find(from); // another hand-over got there first
      if (opts.linkError) throw Object.assign(new Error(`${opts.linkError}: link ${from}`), { code: opts.linkError });
      ops.push(`link ${from} ${to}`);
      tree[to] = find(from);
    },
    unlink: async (p) => {
      ops.push(`unlink ${p}`);
      find(p);
      delete tree[p];
    },
  };
  return { fs, ops };
}

const STATE = '/var/lib/nova';
const RUN = '/run/nova/desk';
const LOG = `${STATE}/vms/desk/serial.log`;
const LINK = `${RUN}/serial.log`;
const FILES: VmConsoleFiles = {
  runDir: RUN,
  consoles: [`${RUN}/spice.sock`, `${RUN}/vnc.sock`, `${RUN}/serial.sock`],
  rootOnly: [`${RUN}/qmp.sock`],
  serialLog: LOG,
};
const USER = { uid: 1000, gid: 1000 };

let inode = 1;
const node = (kind: Kind, mode: number, uid = 0, dev = 1): Node => ({ uid, gid: uid, kind, mode, dev, ino: inode++ });
/** A root QEMU's files as QEMU leaves them: sockets 0755, the log 0644 in root's 0700 VM folder. */
const rootQemu = (): Record<string, Node> => ({
  '/': node('dir', 0o755),
  '/run': node('dir', 0o755),
  '/run/nova': node('dir', 0o755),
  [RUN]: node('dir', 0o700),
  [`${RUN}/spice.sock`]: node('socket', 0o755),
  [`${RUN}/vnc.sock`]: node('socket', 0o755),
  [`${RUN}/serial.sock`]: node('socket', 0o755),
  [`${RUN}/qmp.sock`]: node('socket', 0o755),
  [`${STATE}/vms/desk`]: node('dir', 0o700, 0, 2),
  [LOG]: node('file', 0o644, 0, 2),
});

describe('handing a root QEMU consoles to its caller', () => {
  it('locks QMP first, gives the caller its consoles and a second name for the log, then opens the folder for search only', async () => {
    const tree = rootQemu();
    const { fs, ops } = fakeFs(tree);
    // Same file system for the log and the run folder: the usual layout (run/ in the state dir).
    tree[LOG]!.dev = 1;
    const grant = await grantConsoleAccess(FILES, USER, fs);
    expect(grant).toEqual({ outcome: 'granted', serialLog: LINK, problem: null });
    expect(ops).toEqual([
      `chmod 600 ${RUN}/qmp.sock`,
      `chown 1000:1000 ${RUN}/spice.sock`,
      `chmod 600 ${RUN}/spice.sock`,
      `chown 1000:1000 ${RUN}/vnc.sock`,
      `chmod 600 ${RUN}/vnc.sock`,
      `chown 1000:1000 ${RUN}/serial.sock`,
      `chmod 600 ${RUN}/serial.sock`,
      `link ${LOG} ${LINK}`,
      `chown 1000:1000 ${LINK}`,
      `chmod 600 ${LINK}`,
      `chmod 711 ${RUN}`,
    ]);
    // One file under two names: QEMU keeps writing it by fd, the caller reads it in the run folder.
    expect(tree[LINK]).toBe(tree[LOG]);
    expect(tree[LOG]).toMatchObject({ uid: 1000, mode: 0o600 });
  });

  it('skips the consoles a VM does not have', async () => {
    const tree = rootQemu();
    delete tree[`${RUN}/spice.sock`];
    delete tree[`${RUN}/vnc.sock`];
    tree[LOG]!.dev = 1;
    const { fs, ops } = fakeFs(tree);
    expect((await grantConsoleAccess(FILES, USER, fs)).outcome).toBe('granted');
    expect(ops.filter((o) => o.startsWith('chown'))).toEqual([`chown 1000:1000 ${RUN}/serial.sock`, `chown 1000:1000 ${LINK}`]);
  });

  it('does nothing for root callers', async () => {
    const { fs, ops } = fakeFs(rootQemu());
    expect(await grantConsoleAccess(FILES, { uid: 0, gid: 0 }, fs)).toEqual({ outcome: 'not-needed', serialLog: LOG, problem: null });
    expect(ops).toEqual([]);
  });

  it('does nothing the second time for the same caller, and still names the linked log', async () => {
    const tree = rootQemu();
    tree[LOG]!.dev = 1;
    const { fs, ops } = fakeFs(tree);
    await grantConsoleAccess(FILES, USER, fs);
    ops.length = 0;
    expect(await grantConsoleAccess(FILES, USER, fs)).toEqual({ outcome: 'not-needed', serialLog: LINK, problem: null });
    expect(ops).toEqual([]);
  });

  it('moves everything to the latest caller while QEMU runs as root', async () => {
    const tree = rootQemu();
    tree[LOG]!.dev = 1;
    const { fs, ops } = fakeFs(tree);
    await grantConsoleAccess(FILES, USER, fs);
    ops.length = 0;
    expect((await grantConsoleAccess(FILES, { uid: 1001, gid: 100 }, fs)).outcome).toBe('granted');
    expect(ops.filter((o) => o.startsWith('chown'))).toEqual([
      `chown 1001:100 ${RUN}/spice.sock`,
      `chown 1001:100 ${RUN}/vnc.sock`,
      `chown 1001:100 ${RUN}/serial.sock`,
      `chown 1001:100 ${LINK}`,
    ]);
    expect(ops.some((o) => o.startsWith('link'))).toBe(false);
  });

  it('re-locks QMP if something opened it since', async () => {
    const tree = rootQemu();
    tree[LOG]!.dev = 1;
    const { fs, ops } = fakeFs(tree);
    await grantConsoleAccess(FILES, USER, fs);
    tree[`${RUN}/qmp.sock`]!.mode = 0o777;
    ops.length = 0;
    await grantConsoleAccess(FILES, USER, fs);
    expect(ops).toEqual([`chmod 600 ${RUN}/qmp.sock`]);
  });

  it('replaces a stale name of the log (another boot wrote a new file)', async () => {
    const tree = rootQemu();
    tree[LOG]!.dev = 1;
    tree[LINK] = node('file', 0o600, 1000);
    const { fs, ops } = fakeFs(tree);
    expect((await grantConsoleAccess(FILES, USER, fs)).serialLog).toBe(LINK);
    expect(ops).toContain(`unlink ${LINK}`);
    expect(ops).toContain(`link ${LOG} ${LINK}`);
    expect(tree[LINK]).toBe(tree[LOG]);
  });

  it('says why when the log is on another file system than the run folder, and hands over the rest', async () => {
    const { fs, ops } = fakeFs(rootQemu(), { linkError: 'EXDEV' });
    const grant = await grantConsoleAccess(FILES, USER, fs);
    expect(grant.outcome).toBe('granted');
    expect(grant.serialLog).toBe(LOG);
    expect(grant.problem).toMatch(/serial log .* is on another file system than the run folder .*--run-dir/);
    expect(ops).toContain(`chown 1000:1000 ${RUN}/serial.sock`);
    expect(ops).not.toContain(`chown 1000:1000 ${LOG}`);
  });

  it('takes a link made at the same moment by a concurrent hand-over', async () => {
    const tree = rootQemu();
    tree[LOG]!.dev = 1;
    const { fs } = fakeFs(tree, { linkError: 'EEXIST', linkedMeanwhile: true });
    expect(await grantConsoleAccess(FILES, USER, fs)).toEqual({ outcome: 'granted', serialLog: LINK, problem: null });
    expect(tree[LOG]).toMatchObject({ uid: 1000, mode: 0o600 });
  });

  it('says when a folder above the run folder is closed to the caller (a 0700 state dir holding run/)', async () => {
    const tree = rootQemu();
    tree[LOG]!.dev = 1;
    tree['/run/nova']!.mode = 0o700;
    const { fs } = fakeFs(tree);
    const grant = await grantConsoleAccess(FILES, USER, fs);
    expect(grant.problem).toBe(
      `uid 1000 cannot reach the run folder ${RUN}: /run/nova (no search right); make the folders above it searchable (0711) or give the helper another --run-dir`,
    );
  });

  it("never gives away the files of a QEMU running as another user", async () => {
    const tree = rootQemu();
    tree[RUN]!.uid = 1000;
    const { fs, ops } = fakeFs(tree);
    expect(await grantConsoleAccess(FILES, { uid: 1001, gid: 1001 }, fs)).toEqual({ outcome: 'not-root-owned', serialLog: LOG, problem: null });
    expect(ops).toEqual([]);
  });

  it('refuses a console that is not a socket, and a log that is not a regular file', async () => {
    const tree = rootQemu();
    tree[`${RUN}/serial.sock`]!.kind = 'dir';
    await expect(grantConsoleAccess(FILES, USER, fakeFs(tree).fs)).rejects.toThrow(`${RUN}/serial.sock is not a socket`);
    const tree2 = rootQemu();
    tree2[LOG]!.kind = 'dir';
    await expect(grantConsoleAccess(FILES, USER, fakeFs(tree2).fs)).rejects.toThrow(`${LOG} is not a regular file`);
  });

  it("hands over no log from a VM folder that is not root's (an older Nova made it over): its names are not the helper's to trust", async () => {
    const tree = rootQemu();
    tree[LOG]!.dev = 1;
    tree[`${STATE}/vms/desk`]!.uid = 1000;
    const { fs, ops } = fakeFs(tree);
    const grant = await grantConsoleAccess(FILES, USER, fs);
    expect(grant).toMatchObject({ outcome: 'granted', serialLog: LOG, problem: expect.stringMatching(/serial log's folder .* is not root's/) });
    expect(ops.filter((o) => o.includes('serial.log'))).toEqual([]);
  });

  it('names the linked log after the log, in the run folder', () => {
    expect(serialLogLink(FILES)).toBe(LINK);
  });
});

// The same hand-over on real files, with links planted toward a root-only file outside:
// the file keeps its owner and mode, and no second name of it appears in the run folder.
describe.skipIf(process.getuid?.() !== 0)('handing over consoles on real files', () => {
  let base = '';
  let files: VmConsoleFiles;
  let secret = '';
  const NOBODY = { uid: 65534, gid: 65534 };
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'nv12v-dsa-'));
    const vmDir = join(base, 'vms', 'desk');
    const runDir = join(base, 'run', 'desk');
    await mkdir(vmDir, { recursive: true, mode: 0o700 });
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    secret = join(base, 'secret');
    await writeFile(secret, 'secret', { mode: 0o600 });
    files = { runDir, consoles: [join(runDir, 'serial.sock')], rootOnly: [join(runDir, 'qmp.sock')], serialLog: join(vmDir, 'serial.log') };
  });
  afterEach(async () => rm(base, { recursive: true, force: true }));

  const secretState = async () => {
    const st = await stat(secret);
    return { uid: st.uid, mode: st.mode & 0o7777, nlink: st.nlink };
  };

  it('refuses a console name that is a link, and gives nothing behind it away', async () => {
    await symlink(secret, files.consoles[0]!);
    await expect(grantConsoleAccess(files, NOBODY)).rejects.toThrow(/is not a socket/);
    expect(await secretState()).toEqual({ uid: 0, mode: 0o600, nlink: 1 });
  });

  it('refuses a serial log that is a link, and makes no second name for what it points at', async () => {
    await symlink(secret, files.serialLog);
    await expect(grantConsoleAccess(files, NOBODY)).rejects.toThrow(/is not a regular file/);
    expect(await secretState()).toEqual({ uid: 0, mode: 0o600, nlink: 1 });
    expect(await readdir(files.runDir)).toEqual([]);
  });

  it("links no log from a VM folder that is not root's", async () => {
    const vmDir = join(base, 'vms', 'desk');
    await writeFile(files.serialLog, 'log', { mode: 0o600 });
    await chown(vmDir, NOBODY.uid, NOBODY.gid);
    await chmod(vmDir, 0o700);
    const grant = await grantConsoleAccess(files, NOBODY);
    expect(grant.serialLog).toBe(files.serialLog);
    expect(await readdir(files.runDir)).toEqual([]);
    expect((await stat(files.serialLog)).uid).toBe(0);
  });
});
