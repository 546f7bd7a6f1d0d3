// Small kernel files (/proc, cgroupfs) read every second by the metrics pipeline, through
// descriptors kept open: each read is one pread from offset 0, which procfs and cgroupfs
// answer afresh, instead of open, fstat, read and close each costing a trip to libuv's
// thread pool. Synchronous on purpose: these files are generated from memory and never block.
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 16 * 1024;
/** One reading of /proc/net/dev serves every guest sampled in the same second. */
export const NET_DEV_FRESH_MS = 200;

interface Held {
  fd: number;
  /** The sweep at which it was last read, so descriptors of guests gone are closed. */
  usedAt: number;
}

export class KernelFiles {
  private readonly held = new Map<string, Held>();
  private buf = Buffer.allocUnsafe(CHUNK);
  private sweeps = 0;
  private readonly recentReads = new Map<string, { at: number; text: string }>();

  /**
   * The whole file, or null when it cannot be read (gone, or its process or cgroup ended).
   * A descriptor whose file went away (a process that exited, a cgroup removed) fails its
   * read: it is closed and the path opened once more, which finds a new file of that name.
   */
  read(path: string): string | null {
    const known = this.held.get(path);
    if (known) {
      const text = this.readFd(known.fd);
      if (text !== null) {
        known.usedAt = this.sweeps;
        return text;
      }
      this.close(path);
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    const text = this.readFd(fd);
    if (text === null) {
      closeSync(fd);
      return null;
    }
    this.held.set(path, { fd, usedAt: this.sweeps });
    return text;
  }

  /**
   * The file as read at most `maxAgeMs` ago: /proc/net/dev lists every interface, and the
   * samples of one second (each capsule's veth, each VM's tap) need one reading of it, not one each.
   */
  recent(path: string, maxAgeMs: number, now = Date.now()): string | null {
    const last = this.recentReads.get(path);
    if (last && now - last.at <= maxAgeMs) return last.text;
    const text = this.read(path);
    if (text === null) this.recentReads.delete(path);
    else this.recentReads.set(path, { at: now, text });
    return text;
  }

  /** Closes the descriptors not read since the previous sweep (their guest stopped or was deleted). */
  sweep(): void {
    for (const [path, h] of this.held) if (h.usedAt < this.sweeps) this.close(path);
    this.sweeps++;
  }

  close(path?: string): void {
    for (const p of path === undefined ? [...this.held.keys()] : [path]) {
      const h = this.held.get(p);
      if (!h) continue;
      this.held.delete(p);
      try {
        closeSync(h.fd);
      } catch {
        // already closed
      }
    }
  }

  /** How many descriptors are held (for tests). */
  get size(): number {
    return this.held.size;
  }

  private readFd(fd: number): string | null {
    try {
      let length = 0;
      for (;;) {
        if (length === this.buf.length) {
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger, 0, 0, length);
          this.buf = bigger;
        }
        const n = readSync(fd, this.buf, length, this.buf.length - length, length);
        if (n === 0) break;
        length += n;
      }
      return this.buf.toString('utf8', 0, length);
    } catch {
      return null;
    }
  }
}

/**
 * Bytes through a host interface seen from the guest behind it (what the host end sends,
 * the guest receives), from /proc/net/dev's text; null when the interface is not listed.
 */
export function guestSideCounters(netDev: string, ifname: string): { rxBytes: number; txBytes: number } | null {
  for (const line of netDev.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(0, colon).trim() !== ifname) continue;
    // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes ...
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    return { rxBytes: f[8] ?? 0, txBytes: f[0] ?? 0 };
  }
  return null;
}

/** The helper's one set, shared by the VM, capsule and host samplers and swept by the collector. */
export const metricsFiles = new KernelFiles();
