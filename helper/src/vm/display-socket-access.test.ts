import { describe, expect, it } from 'vitest';
import { grantDisplaySocket, type SocketFs } from './display-socket-access.js';

type Node = { uid: number; kind: 'dir' | 'socket'; mode: number };

function fakeFs(tree: Record<string, Node>) {
  const ops: string[] = [];
  const fs: SocketFs = {
    lstat: async (p) => {
      const n = tree[p];
      if (!n) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return { uid: n.uid, isSocket: () => n.kind === 'socket', isDirectory: () => n.kind === 'dir' };
    },
    chmod: async (p, mode) => {
      ops.push(`chmod ${mode.toString(8)} ${p}`);
      tree[p]!.mode = mode;
    },
    chown: async (p, uid, gid) => {
      ops.push(`chown ${uid}:${gid} ${p}`);
      tree[p]!.uid = uid;
    },
  };
  return { fs, ops };
}

const RUN = '/run/nova/desk';
const SIBLINGS = [`${RUN}/qmp.sock`, `${RUN}/serial.sock`, `${RUN}/vnc.sock`];
const rootQemu = (): Record<string, Node> => ({
  [RUN]: { uid: 0, kind: 'dir', mode: 0o700 },
  [`${RUN}/spice.sock`]: { uid: 0, kind: 'socket', mode: 0o755 },
  [`${RUN}/qmp.sock`]: { uid: 0, kind: 'socket', mode: 0o755 },
  [`${RUN}/serial.sock`]: { uid: 0, kind: 'socket', mode: 0o755 },
});

describe('handing a root QEMU SPICE socket to its caller', () => {
  it('locks the other sockets to root first, then gives the SPICE socket to the caller only', async () => {
    const { fs, ops } = fakeFs(rootQemu());
    expect(await grantDisplaySocket(`${RUN}/spice.sock`, SIBLINGS, { uid: 1000, gid: 1000 }, fs)).toBe('granted');
    expect(ops).toEqual([
      `chmod 600 ${RUN}/qmp.sock`,
      `chmod 600 ${RUN}/serial.sock`,
      `chown 1000:1000 ${RUN}/spice.sock`,
      `chmod 600 ${RUN}/spice.sock`,
      `chmod 711 ${RUN}`,
    ]);
  });

  it('does nothing for root callers, or when the socket is already theirs', async () => {
    const tree = rootQemu();
    const { fs, ops } = fakeFs(tree);
    expect(await grantDisplaySocket(`${RUN}/spice.sock`, SIBLINGS, { uid: 0, gid: 0 }, fs)).toBe('not-needed');
    tree[`${RUN}/spice.sock`]!.uid = 1000;
    expect(await grantDisplaySocket(`${RUN}/spice.sock`, SIBLINGS, { uid: 1000, gid: 1000 }, fs)).toBe('not-needed');
    expect(ops).toEqual([]);
  });

  it('moves the socket to the latest caller while QEMU runs as root', async () => {
    const tree = rootQemu();
    tree[`${RUN}/spice.sock`]!.uid = 1000;
    const { fs, ops } = fakeFs(tree);
    expect(await grantDisplaySocket(`${RUN}/spice.sock`, SIBLINGS, { uid: 1001, gid: 100 }, fs)).toBe('granted');
    expect(ops).toContain(`chown 1001:100 ${RUN}/spice.sock`);
  });

  it("never gives away a socket of a QEMU running as another user", async () => {
    const tree = rootQemu();
    tree[RUN]!.uid = 1000;
    tree[`${RUN}/spice.sock`]!.uid = 1000;
    const { fs, ops } = fakeFs(tree);
    expect(await grantDisplaySocket(`${RUN}/spice.sock`, SIBLINGS, { uid: 1001, gid: 1001 }, fs)).toBe('not-root-owned');
    expect(ops).toEqual([]);
  });

  it('refuses something that is not a socket', async () => {
    const tree = rootQemu();
    tree[`${RUN}/spice.sock`]!.kind = 'dir';
    const { fs } = fakeFs(tree);
    await expect(grantDisplaySocket(`${RUN}/spice.sock`, SIBLINGS, { uid: 1000, gid: 1000 }, fs)).rejects.toThrow(/not a socket/);
  });
});
