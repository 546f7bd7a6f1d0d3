import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpiceRelay, relayBaseDir } from './spice-relay.js';

let dir = '';
let display: Server;
let displayPath = '';
/** The far side's connections, as the remote SPICE server would see them. */
const far: Socket[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-relay-'));
  displayPath = join(dir, 'display.sock');
  display = createServer((c) => {
    far.push(c);
    c.on('data', (d) => c.write(Buffer.concat([Buffer.from('REDQ'), d])));
  });
  await new Promise<void>((r) => display.listen(displayPath, r));
});

afterAll(async () => {
  await new Promise((r) => display.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function connectTo(path: string): Promise<Socket> {
  const s = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

function firstData(s: Socket): Promise<string> {
  return new Promise((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
}

describe('the SPICE relay', () => {
  it('carries each client connection over a channel of its own, on a socket only this user reaches', async () => {
    let opened = 0;
    const relay = await openSpiceRelay(async () => {
      opened++;
      return connectTo(displayPath);
    }, dir);
    expect(relay.uri).toBe(`spice+unix://${relay.socketPath}`);
    expect((await stat(dirname(relay.socketPath))).mode & 0o777).toBe(0o700);
    expect((await stat(relay.socketPath)).mode & 0o777).toBe(0o600);

    const main = await connectTo(relay.socketPath);
    const display2 = await connectTo(relay.socketPath);
    main.write('main');
    display2.write('display');
    expect(await firstData(main)).toBe('REDQmain');
    expect(await firstData(display2)).toBe('REDQdisplay');
    expect(opened).toBe(2);

    // A client that hangs up ends its channel: the far side sees the end.
    const farMain = far[far.length - 2]!;
    const ended = new Promise<void>((r) => farMain.once('end', () => r()));
    main.end();
    await ended;

    await relay.close();
    await relay.closed;
    expect(display2.destroyed || (await new Promise((r) => display2.once('close', () => r(true))))).toBe(true);
    expect(existsSync(dirname(relay.socketPath))).toBe(false);
  });

  it('drops a client whose channel cannot open', async () => {
    const relay = await openSpiceRelay(async () => {
      throw new Error('ssh: connect to host closet port 22: Connection refused');
    }, dir);
    const client = await connectTo(relay.socketPath);
    await new Promise((r) => client.once('close', r));
    await relay.close();
  });

  it("goes in the user's runtime directory when there is one", () => {
    expect(relayBaseDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000');
    expect(relayBaseDir({ XDG_RUNTIME_DIR: 'relative' })).toBe(tmpdir());
    expect(relayBaseDir({})).toBe(tmpdir());
  });
});
