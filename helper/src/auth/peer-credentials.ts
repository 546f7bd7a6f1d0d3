// Who is on the other end of a helper connection, as the kernel records it
// (SO_PEERCRED through a small N-API addon). Never taken from the message itself.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseStartTime } from '../util/proc-stat.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** A caller as polkit wants it: pid with its start time, never a bare pid. */
export interface Caller extends PeerCredentials {
  startTime: string | null;
}

interface PeercredAddon {
  getPeerCredentials(fd: number): PeerCredentials;
  /** One write with `descriptor` attached (SCM_RIGHTS): how QEMU's monitor takes a file (qmp-client.ts). */
  sendWithDescriptor(socketFd: number, data: Buffer, descriptor: number): void;
  /** One read without waiting: null when nothing came yet; fd -1 when none came, -2 when more than one did. */
  receiveWithDescriptor(socketFd: number): { bytes: number; fd: number } | null;
}

let addon: PeercredAddon | null = null;

/**
 * Only places fixed relative to the helper's own code: never a path from the environment,
 * since whoever sets it would choose native code (or any module) for a root process.
 */
function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [
    join(here, 'peercred.node'), // beside the bundled helper in out/helper/
    resolve(here, '../../native/peercred/build/Release/peercred.node'), // running from source
    resolve(here, '../helper/native/peercred/build/Release/peercred.node'),
  ];
}

export function loadPeercredAddon(): PeercredAddon {
  if (addon) return addon;
  const path = addonCandidates().find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `peer credential addon not found (looked in ${addonCandidates().join(', ')}); run "npm install" to build it`,
    );
  }
  addon = createRequire(import.meta.url)(path) as PeercredAddon;
  return addon;
}

export function socketFd(socket: Socket): number {
  // net.Socket keeps its descriptor on the libuv handle; there is no public accessor.
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

/**
 * The caller on a freshly accepted socket. Its start time is read synchronously: /proc
 * never blocks, and a flood of connections must not queue root's identification behind
 * its own reads in the thread pool.
 */
export async function callerOf(socket: Socket): Promise<Caller> {
  const cred = loadPeercredAddon().getPeerCredentials(socketFd(socket));
  return { ...cred, startTime: startTimeNow(cred.pid) };
}

function startTimeNow(pid: number): string | null {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}
