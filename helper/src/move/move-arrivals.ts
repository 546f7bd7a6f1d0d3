// The moves arriving on this host, one per guest: a hidden staging folder beside the
// guests' own (so a guest appears only once it is whole), a marker in it saying it is
// still arriving, and the listener filling it. One-off TLS credentials are made for each
// (the live migration's, vm/migration-tls.ts): the server's stay in memory here, the
// client's go back to the caller for the source. A move nobody finishes or discards is
// removed by itself once its listener has been idle too long.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { MoveListener, MovedFile } from '../../../src-shared/api/guest-move-api.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import { makeMigrationCredentials } from '../vm/migration-tls.js';
import { hashTree } from './file-manifest.js';
import { MoveReceiver } from './move-receiver.js';

const MARKER = '.arriving';
/** Each arriving guest's staging folder is named this and the guest's name, beside the guests' own. */
export const STAGING_PREFIX = '.arriving-';
/** A caller has this long to start the copy, and a copy never pauses this long. */
export const MOVE_IDLE_MS = 10 * 60_000;
/** A copy that arrived waits this long for its finish or discard. */
const RECEIVED_WAIT_MS = 60 * 60_000;

interface Arrival {
  staging: string;
  receiver: MoveReceiver;
  expiry: NodeJS.Timeout | null;
}

export interface MoveArrivalsOptions {
  runner: ProcessRunner;
  logger?: Pick<Logger, 'warn'>;
  idleMs?: number;
}

export class MoveArrivals {
  private readonly arrivals = new Map<string, Arrival>();
  private swept: Promise<void> = Promise.resolve();

  constructor(private readonly o: MoveArrivalsOptions) {}

  /**
   * A fresh staging folder (one left by a helper that stopped mid-move is removed first) and
   * its listener on `listen`. `key` names the guest ("vm/web").
   */
  async open(key: string, staging: string, listen: string, signal: AbortSignal): Promise<MoveListener> {
    await this.swept.catch(() => undefined);
    if (this.arrivals.has(key)) throw new NovaError('locked', `${key.replace('/', ' ')} is already arriving here from another host`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true, mode: 0o700 });
    const tlsDir = `${staging}.tls`;
    try {
      await writeFile(join(staging, MARKER), JSON.stringify({ since: new Date().toISOString() }) + '\n', { mode: 0o600 });
      await rm(tlsDir, { recursive: true, force: true });
      const tls = await makeMigrationCredentials(tlsDir, listen, this.o.runner, signal);
      const read = (name: string) => readFile(join(tlsDir, name), 'utf8');
      const credentials = { caCert: await read('ca-cert.pem'), cert: await read('server-cert.pem'), key: await read('server-key.pem') };
      await rm(tlsDir, { recursive: true, force: true });
      const receiver = await MoveReceiver.open({
        dir: staging,
        listen,
        credentials,
        runner: this.o.runner,
        idleMs: this.o.idleMs ?? MOVE_IDLE_MS,
        onIdle: () => void this.discard(key).catch((err: unknown) => this.o.logger?.warn({ err, key }, 'removing an abandoned move failed')),
      });
      const arrival: Arrival = { staging, receiver, expiry: null };
      this.arrivals.set(key, arrival);
      void receiver.received.then(() => {
        arrival.expiry = setTimeout(() => void this.discard(key).catch(() => undefined), RECEIVED_WAIT_MS);
        arrival.expiry.unref();
      }, () => undefined);
      return { port: receiver.port, tls };
    } catch (err) {
      await rm(tlsDir, { recursive: true, force: true });
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }

  /** The staging folder once the whole stream is unpacked in it (without the marker); throws when the copy failed. */
  async received(key: string, waitMs: number): Promise<string> {
    const arrival = this.require(key);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NovaError('timeout', `the copy of ${key.replace('/', ' ')} has not arrived within ${Math.round(waitMs / 1000)} s`)), waitMs);
    });
    try {
      await Promise.race([arrival.receiver.received, late]);
    } finally {
      clearTimeout(timer);
    }
    return arrival.staging;
  }

  /** The move is over: its guest was made from the staging folder, which the caller has emptied or renamed. */
  async settled(key: string): Promise<void> {
    const arrival = this.arrivals.get(key);
    if (!arrival) return;
    if (arrival.expiry) clearTimeout(arrival.expiry);
    arrival.receiver.close('the move is over');
    this.arrivals.delete(key);
    await rm(arrival.staging, { recursive: true, force: true });
  }

  /** Stops the listener and removes everything that arrived. */
  async discard(key: string): Promise<void> {
    const arrival = this.require(key);
    if (arrival.expiry) clearTimeout(arrival.expiry);
    arrival.receiver.close();
    this.arrivals.delete(key);
    await rm(arrival.staging, { recursive: true, force: true });
  }

  /**
   * Removes the staging folders a helper that stopped mid-move left in `roots`: nobody can
   * finish those moves now. Incoming moves wait for it, so it never takes a new one's folder.
   */
  removeLeftovers(roots: readonly string[]): Promise<void> {
    this.swept = (async () => {
      for (const root of roots) {
        const names = await readdir(root).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.startsWith(STAGING_PREFIX))) await rm(join(root, name), { recursive: true, force: true });
      }
    })();
    return this.swept;
  }

  has(key: string): boolean {
    return this.arrivals.has(key);
  }

  private require(key: string): Arrival {
    const arrival = this.arrivals.get(key);
    if (!arrival) throw new NovaError('failed_precondition', `${key.replace('/', ' ')} is not arriving by a move on this host`);
    return arrival;
  }
}

/** What arrived in a staging folder, as the source lists what it sent (the marker aside). */
export async function arrivedFiles(staging: string, signal?: AbortSignal): Promise<MovedFile[]> {
  const out: MovedFile[] = [];
  for (const name of (await readdir(staging)).sort()) {
    if (name === MARKER) continue;
    out.push(...(await hashTree(join(staging, name), name, signal)));
  }
  return out;
}
