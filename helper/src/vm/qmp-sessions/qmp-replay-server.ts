// Plays a recorded QMP session (qemu-session.jsonl, from record-qmp-session.mjs) back to
// a client on a unix socket, with faults: QEMU's lines are sent as recorded until the
// next line Nova sent, which the server waits for and checks (the command name), and the
// ids in QEMU's answers are rewritten to the client's own. Each fault is a transform of
// the recorded lines or of the way they are written.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface SessionLine {
  from: 'qemu' | 'nova';
  line: string;
}

export const RECORDED_SESSION: readonly SessionLine[] = readFileSync(join(import.meta.dirname, 'qemu-session.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as SessionLine);

export interface ReplayOptions {
  /** The session as played (a fault's transform of the recorded one). */
  session: readonly SessionLine[];
  /** Splits QEMU's bytes into writes: one write per line when absent. */
  chunks?: (bytes: string) => string[];
  /** Stops after this many bytes of QEMU's output and closes the socket (a truncated stream). */
  truncateAt?: number;
  /** Keeps the socket open, saying nothing, once the session is played (a silent monitor). */
  holdOpen?: boolean;
}

export interface ReplayServer {
  server: Server;
  /** Commands the client sent, as parsed. */
  received: Array<{ execute: string; id?: string }>;
  /** A line of Nova's the client did not send when the session expected it. */
  mismatches: string[];
  close: () => Promise<void>;
}

const idOf = (line: string): string | undefined => (/"id": ?"([^"]+)"/.exec(line) ?? [])[1];

export async function replayServer(path: string, options: ReplayOptions): Promise<ReplayServer> {
  const received: ReplayServer['received'] = [];
  const mismatches: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
    let step = 0;
    let sent = 0;
    let buffer = '';
    const idMap = new Map<string, string>();
    const write = (text: string): boolean => {
      for (const piece of options.chunks ? options.chunks(text) : [text]) {
        if (options.truncateAt !== undefined && sent + piece.length >= options.truncateAt) {
          sock.end(piece.slice(0, options.truncateAt - sent));
          return false;
        }
        sent += piece.length;
        sock.write(piece);
      }
      return true;
    };
    const playQemu = () => {
      while (step < options.session.length && options.session[step]!.from === 'qemu') {
        let line = options.session[step++]!.line;
        const recordedId = idOf(line);
        if (recordedId !== undefined && idMap.has(recordedId)) line = line.replace(`"${recordedId}"`, JSON.stringify(idMap.get(recordedId)));
        if (!write(`${line}\r\n`)) return;
      }
      if (step >= options.session.length && !options.holdOpen) sock.end();
    };
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const cmd = JSON.parse(buffer.slice(0, nl)) as { execute: string; id?: string };
        buffer = buffer.slice(nl + 1);
        received.push(cmd);
        const expected = options.session[step];
        if (!expected || expected.from !== 'nova') continue;
        const recorded = JSON.parse(expected.line) as { execute: string; id?: string };
        if (recorded.execute !== cmd.execute) mismatches.push(`expected ${recorded.execute}, got ${cmd.execute}`);
        if (recorded.id !== undefined && cmd.id !== undefined) idMap.set(recorded.id, cmd.id);
        step++;
        playQemu();
      }
    });
    playQemu();
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, received, mismatches, close };
}
