// Hands a root-run QEMU's SPICE socket to the user who asked for it, so the remote-viewer
// their unprivileged Nova starts can connect. Only that user: the socket becomes theirs,
// mode 0600; the VM's run folder becomes search-only (0711, nothing listable); the sockets
// beside it (QMP above all: it controls a root process) are forced to root-only 0600 first.
import { chmod, chown, lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Credentials } from './run-as-user.js';

export interface SocketFs {
  lstat: (path: string) => Promise<{ uid: number; isSocket(): boolean; isDirectory(): boolean }>;
  chmod: (path: string, mode: number) => Promise<void>;
  chown: (path: string, uid: number, gid: number) => Promise<void>;
}

const realFs: SocketFs = { lstat, chmod, chown };

export type GrantOutcome = 'granted' | 'not-needed' | 'not-root-owned';

/**
 * `socket`'s run folder must be root's (QEMU ran as root); a folder owned by a user means
 * QEMU runs as that user, whose own sockets are not ours to give away.
 */
export async function grantDisplaySocket(socket: string, siblings: readonly string[], who: Credentials, fs: SocketFs = realFs): Promise<GrantOutcome> {
  if (who.uid === 0) return 'not-needed';
  const dir = dirname(socket);
  const [dirSt, sockSt] = await Promise.all([fs.lstat(dir), fs.lstat(socket)]);
  if (!dirSt.isDirectory() || !sockSt.isSocket()) throw new Error(`${socket} is not a socket in a folder`);
  if (dirSt.uid !== 0) return 'not-root-owned';
  if (sockSt.uid === who.uid) return 'not-needed';
  for (const other of siblings) {
    if (other === socket) continue;
    const st = await fs.lstat(other).catch(() => null);
    if (st?.isSocket() && st.uid === 0) await fs.chmod(other, 0o600);
  }
  await fs.chown(socket, who.uid, who.gid);
  await fs.chmod(socket, 0o600);
  await fs.chmod(dir, 0o711);
  return 'granted';
}
