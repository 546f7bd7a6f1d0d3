// A remote VM's SPICE display on a local unix socket, for remote-viewer: each connection the
// viewer opens (SPICE uses one per channel: main, display, inputs, cursor, ...) is carried by
// its own `ssh HOST nova connect --console spice VM`. The socket lies in a fresh 0700 folder
// of this user's runtime directory, so only this user reaches it; closing the relay ends every
// channel's ssh and removes the folder.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Duplex } from 'node:stream';

/** How long a channel's ssh may take to exit after the viewer hung up (a few round trips). */
const CHANNEL_END_BOUND_MS = 10_000;

export interface SpiceRelay {
  readonly socketPath: string;
  /** What remote-viewer opens. */
  readonly uri: string;
  /** Ends every channel (each one's ssh exits) and removes the socket's folder. */
  close(): Promise<void>;
  /** Settles once close() has finished, whoever called it. */
  readonly closed: Promise<void>;
}

/** Where the relay's folder goes: the user's runtime directory when it has one (it is theirs alone), else the temp dir. */
export function relayBaseDir(env: NodeJS.ProcessEnv): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return runtime && isAbsolute(runtime) ? runtime : tmpdir();
}

/** `open` gives one channel to the remote display; it is called once per connection the client makes. */
export async function openSpiceRelay(open: () => Promise<Duplex>, baseDir: string): Promise<SpiceRelay> {
  const dir = await mkdtemp(join(baseDir, 'nova-spice-'));
  await chmod(dir, 0o700);
  const socketPath = join(dir, 'spice.sock');
  const channels = new Set<{ client: Socket; remote: Duplex | null }>();
  const server = createServer((client) => {
    const channel: { client: Socket; remote: Duplex | null } = { client, remote: null };
    channels.add(channel);
    client.pause();
    const drop = () => {
      channels.delete(channel);
      client.destroy();
      channel.remote?.destroy();
    };
    client.once('error', drop);
    client.once('close', () => {
      channels.delete(channel);
      // The viewer hung up: the remote side sees the end of input, and its nova connect and our
      // ssh exit; one that does not within the bound is ended.
      const remote = channel.remote;
      if (!remote) return;
      remote.end();
      setTimeout(() => remote.destroy(), CHANNEL_END_BOUND_MS).unref();
    });
    open().then(
      (remote) => {
        if (client.destroyed) return remote.destroy();
        channel.remote = remote;
        remote.once('error', drop);
        remote.once('close', () => client.end());
        client.pipe(remote);
        remote.pipe(client);
        client.resume();
      },
      () => drop(),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    await chmod(socketPath, 0o600);
  } catch (err) {
    server.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | null = null;
  let done: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (done = resolve));
  return {
    socketPath,
    uri: `spice+unix://${socketPath}`,
    close: () => (closing ??= closeRelay(server, channels, dir).finally(done)),
    closed,
  };
}

async function closeRelay(server: Server, channels: Set<{ client: Socket; remote: Duplex | null }>, dir: string): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const { client, remote } of channels) {
    client.destroy();
    remote?.destroy();
  }
  channels.clear();
  await closed;
  await rm(dir, { recursive: true, force: true });
}
