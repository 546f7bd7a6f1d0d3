// The source's end of a cold move: one TLS connection to the destination's listener with
// the client certificate it made for this move, checked against its CA and its address.
// Each part goes as one tar archive, framed (move-stream.ts); after the end frame the
// destination's one-line answer says whether it unpacked the whole stream. Aborting kills
// tar and drops the connection, which the destination takes as a failed copy.
import { connect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { NovaError } from '../../../src-shared/errors.js';
import type { MoveTarget } from '../../../src-shared/api/guest-move-api.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { END_FRAME, frame, MAX_FRAME_BYTES, tarCreateArgv, type MovePart } from './move-stream.js';

const CONNECT_TIMEOUT_MS = 20_000;
/** The destination unpacks and answers within this after the last byte. */
const ANSWER_TIMEOUT_MS = 10 * 60_000;

export interface SendProgress {
  (streamBytes: number): void;
}

export async function sendParts(
  runner: Pick<ProcessRunner, 'spawnDetached'>,
  to: MoveTarget,
  parts: readonly MovePart[],
  signal: AbortSignal,
  progress: SendProgress,
): Promise<number> {
  const socket = await open(to, signal);
  const abort = () => socket.destroy(new NovaError('cancelled', 'the move was cancelled'));
  signal.addEventListener('abort', abort, { once: true });
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (answer += d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    let sent = 0;
    for (const part of parts) {
      signal.throwIfAborted();
      sent = await sendArchive(runner, socket, part, signal, sent, progress);
    }
    await write(socket, END_FRAME);
    const timer = setTimeout(() => socket.destroy(), ANSWER_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
    signal.throwIfAborted();
    const line = answer.trim();
    if (line !== 'ok') throw new NovaError('internal', line.startsWith('error: ') ? `the destination: ${line.slice(7)}` : 'the destination closed the connection without saying the copy arrived');
    return sent;
  } catch (err) {
    if (signal.aborted) throw new NovaError('cancelled', 'the move was cancelled');
    throw err;
  } finally {
    signal.removeEventListener('abort', abort);
    socket.destroy();
  }
}

async function open(to: MoveTarget, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: to.host,
      port: to.port,
      ca: [to.tls.caCert],
      cert: to.tls.clientCert,
      key: to.tls.clientKey,
      minVersion: 'TLSv1.3',
      ...(isIP(to.host) ? {} : { servername: to.host }),
    });
    const abort = () => socket.destroy(new NovaError('cancelled', 'the move was cancelled'));
    signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(() => socket.destroy(new NovaError('timeout', `the destination did not answer on ${to.host}:${to.port} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      reject(err instanceof NovaError ? err : new NovaError('unavailable', `cannot reach the destination at ${to.host}:${to.port}: ${err.message}`));
    });
  });
}

async function sendArchive(runner: Pick<ProcessRunner, 'spawnDetached'>, socket: TLSSocket, part: MovePart, signal: AbortSignal, before: number, progress: SendProgress): Promise<number> {
  const tar = await runner.spawnDetached({ argv: tarCreateArgv(part), stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const kill = () => tar.kill('SIGKILL');
  signal.addEventListener('abort', kill, { once: true });
  let said = '';
  tar.stderr?.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => tar.once('exit', (code) => resolve(code)));
  let sent = before;
  try {
    for await (const chunk of tar.stdout!) {
      const data = chunk as Buffer;
      for (let at = 0; at < data.length; at += MAX_FRAME_BYTES) {
        await write(socket, frame(data.subarray(at, at + MAX_FRAME_BYTES)));
      }
      sent += data.length;
      progress(sent);
    }
    const code = await exited;
    signal.throwIfAborted();
    if (code !== 0) throw new NovaError('internal', `reading ${part.as} for the move failed: ${said.trim().split('\n').slice(-2).join('; ') || `tar exited ${code}`}`);
    return sent;
  } finally {
    signal.removeEventListener('abort', kill);
    if (tar.exitCode === null) tar.kill('SIGKILL');
  }
}

function write(socket: TLSSocket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(new NovaError('unavailable', 'the connection to the destination was lost'));
      return;
    }
    socket.write(data, (err) => (err ? reject(new NovaError('unavailable', `the connection to the destination was lost: ${err.message}`)) : resolve()));
  });
}
