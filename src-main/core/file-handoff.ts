// Hands the helper a file this process opened with its own rights, as an open descriptor
// on the helper's descriptor socket (src-shared/wire/descriptor-handoff.ts), so that an
// import reads what the user can read wherever it lies, instead of a path the helper
// would open inside its allowed folders. Plain Node: the CLI, web mode and Electron share it.
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createConnection, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParamsOf } from '../../src-shared/api/nova-api.js';
import { NovaError } from '../../src-shared/errors.js';
import { descriptorSocketPathOf, type DescriptorReceipt, type HandedFile } from '../../src-shared/wire/descriptor-handoff.js';
import type { HelperClient } from './helper-client.js';

interface SendAddon {
  sendWithDescriptor(socketFd: number, data: Buffer, descriptor: number): void;
}

const HANDOFF_TIMEOUT_MS = 5_000;

/** The helper's addon, where the build or the package puts it beside this code; null when absent. */
function loadAddon(): SendAddon | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, '../helper/peercred.node'), // out/cli, out/main and /usr/lib/nova/cli beside out/helper
    resolve(here, '../../helper/native/peercred/build/Release/peercred.node'), // running from source
  ];
  const path = candidates.find((p) => existsSync(p));
  return path ? (createRequire(import.meta.url)(path) as SendAddon) : null;
}

/** Whether this process can hand files over to a helper at `socketPath` (its descriptor socket exists). */
export function canHandOver(socketPath: string): boolean {
  return existsSync(descriptorSocketPathOf(socketPath)) && loadAddon() !== null;
}

/**
 * Opens `path` as this process (so the user's own read right decides), hands the open file
 * to the helper and returns the token that names it in the next request.
 */
export async function handFileOver(socketPath: string, path: string): Promise<HandedFile> {
  const addon = loadAddon();
  if (!addon) throw new NovaError('unavailable', "Nova's native addon (peercred.node) is missing, so a file cannot be handed to the helper; reinstall Nova");
  const full = resolve(path);
  const file = await open(full, 'r').catch((err: NodeJS.ErrnoException) => {
    const code = err.code === 'ENOENT' ? 'not_found' : err.code === 'EACCES' || err.code === 'EPERM' ? 'not_authorized' : 'invalid_argument';
    if (err.code === 'ENOENT') throw new NovaError(code, `${full} does not exist`, { path: full, openedFor: 'import' });
    const why = err.code === 'EACCES' || err.code === 'EPERM' ? 'you do not have the right to read it' : err.message;
    throw new NovaError(code, `Cannot read ${full}: ${why}`, { path: full, openedFor: 'import' });
  });
  try {
    const socket = await connected(descriptorSocketPathOf(socketPath));
    try {
      const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (typeof fd !== 'number' || fd < 0) throw new NovaError('internal', 'the descriptor socket has no file descriptor');
      addon.sendWithDescriptor(fd, Buffer.from('F'), file.fd);
      const receipt = await answerOf(socket);
      if ('error' in receipt) throw new NovaError('failed_precondition', `The helper did not take ${full}: ${receipt.error}`, { path: full });
      return { token: receipt.token, fileName: full };
    } finally {
      socket.destroy();
    }
  } finally {
    await file.close();
  }
}

function connected(path: string): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NovaError('unavailable', `The helper's descriptor socket ${path} did not answer within ${HANDOFF_TIMEOUT_MS / 1000} s`));
    }, HANDOFF_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolveSocket(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new NovaError('unavailable', `Cannot reach the helper's descriptor socket ${path}: ${err.message}`));
    });
  });
}

/** The helper's one line, bounded in time and size. */
function answerOf(socket: Socket): Promise<DescriptorReceipt> {
  return new Promise((resolveAnswer, reject) => {
    let text = '';
    const timer = setTimeout(() => fail(`no answer within ${HANDOFF_TIMEOUT_MS / 1000} s`), HANDOFF_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new NovaError('unavailable', `The helper did not take the file: ${why}`));
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 4096) return fail('its answer was too long');
      const end = text.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      try {
        resolveAnswer(JSON.parse(text.slice(0, end)) as DescriptorReceipt);
      } catch {
        fail('its answer was not JSON');
      }
    });
    socket.once('end', () => {
      if (!text.includes('\n')) fail('it closed the connection');
    });
    socket.once('error', (err) => fail(err.message));
  });
}

/**
 * An import by path as the helper should get it: on this machine the file is opened here,
 * with the user's own rights, and handed over, so it may lie anywhere the user can read;
 * over ssh (or to a helper without a descriptor socket) the helper opens the path itself,
 * inside its allowed folders and checked against the caller's rights.
 */
export async function handedImport(h: HelperClient, params: ParamsOf<'image.import'>): Promise<ParamsOf<'image.import'>> {
  const local = h.localSocketPath;
  if (params.path === undefined || !local || !canHandOver(local)) return params;
  return { descriptor: await handFileOver(local, params.path), name: params.name };
}
