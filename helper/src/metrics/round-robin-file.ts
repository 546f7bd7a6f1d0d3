// One series' history in one fixed-size file: three round-robin archives (1 s for an
// hour, 1 min for a day, 10 min for 30 days), RRDtool-style. A sample's slot is its time
// divided by the archive's step, modulo the archive's length, so writing never grows the
// file and the oldest point is overwritten in place; each slot keeps its own start time,
// so a slot left from an earlier lap is recognised as stale instead of read as current.
// The whole file is mirrored in memory; each write is one pwrite of one slot, so a
// SIGKILL loses nothing already written and a crash at most the samples not yet taken.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

export interface Archive {
  readonly stepMs: number;
  readonly slots: number;
}

/** 1 s for the last hour, 1 min for the last day, 10 min for the last 30 days. */
export const ARCHIVES: readonly Archive[] = [
  { stepMs: 1_000, slots: 3_600 },
  { stepMs: 60_000, slots: 1_440 },
  { stepMs: 600_000, slots: 4_320 },
];

/** Values per slot, in this order; rates are per second, memory in bytes. */
export const VALUE_NAMES = ['cpuPercent', 'memoryBytes', 'diskReadBps', 'diskWriteBps', 'netRxBps', 'netTxBps'] as const;
export type Values = readonly number[];

const MAGIC = 'NOVARRD1';
const VERSION = 1;
const HEADER_BYTES = 64;
/** A slot: its start time (float64 epoch ms) and the values as float32: graphs need no more digits. */
export const SLOT_BYTES = 8 + 4 * VALUE_NAMES.length;

export function fileBytes(archives: readonly Archive[] = ARCHIVES): number {
  return HEADER_BYTES + archives.reduce((sum, a) => sum + a.slots * SLOT_BYTES, 0);
}

export interface Point {
  readonly t: number;
  readonly values: Values;
}

export class RoundRobinFile {
  private readonly offsets: number[] = [];

  private constructor(
    private readonly fd: number,
    private readonly buf: Buffer,
    readonly archives: readonly Archive[],
  ) {
    let at = HEADER_BYTES;
    for (const a of archives) {
      this.offsets.push(at);
      at += a.slots * SLOT_BYTES;
    }
  }

  /**
   * Opens (or creates) the file. A file of the wrong size or header is reset to empty and
   * the reason returned, so one damaged series never stops the helper or the others.
   */
  static open(path: string, archives: readonly Archive[] = ARCHIVES): { file: RoundRobinFile; damaged: string | null } {
    // O_NOFOLLOW: the state dir is the helper's own, and a planted link must not redirect a write.
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      const size = fileBytes(archives);
      const buf = Buffer.alloc(size);
      const existing = fstatSync(fd).size;
      let damaged: string | null = null;
      if (existing > 0) {
        const read = existing === size ? readSync(fd, buf, 0, size, 0) : 0;
        damaged = existing !== size ? `its size is ${existing} bytes, not ${size}` : read !== size ? 'it could not be read whole' : headerProblem(buf, archives);
      }
      if (existing === 0 || damaged) {
        buf.fill(0);
        writeHeader(buf, archives);
        writeSync(fd, buf, 0, size, 0);
        if (existing > size) ftruncateSync(fd, size);
      }
      return { file: new RoundRobinFile(fd, buf, archives), damaged };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Writes one point into archive `index`; `t` must be aligned to the archive's step. */
  write(index: number, t: number, values: Values): void {
    const at = this.slotOffset(index, t);
    this.buf.writeDoubleLE(t, at);
    values.forEach((v, i) => this.buf.writeFloatLE(v, at + 8 + 4 * i));
    writeSync(this.fd, this.buf, at, SLOT_BYTES, at);
  }

  /** The point stored for time `t` (aligned), or null when its slot holds another lap's point or nothing. */
  at(index: number, t: number): Point | null {
    return this.pointAt(index, this.slotOffset(index, t), t);
  }

  /** Points of archive `index` with from < t <= to, oldest first. */
  range(index: number, fromMs: number, toMs: number): Point[] {
    const { stepMs, slots } = this.archives[index] as Archive;
    const first = Math.max(Math.floor(fromMs / stepMs) + 1, Math.floor(toMs / stepMs) - slots + 1);
    const out: Point[] = [];
    for (let n = first; n * stepMs <= toMs; n++) {
      const p = this.at(index, n * stepMs);
      if (p) out.push(p);
    }
    return out;
  }

  /** The newest point's time in archive `index`, or null when it is empty. */
  newest(index: number): number | null {
    const { slots } = this.archives[index] as Archive;
    let best: number | null = null;
    for (let s = 0; s < slots; s++) {
      const at = (this.offsets[index] as number) + s * SLOT_BYTES;
      const t = this.buf.readDoubleLE(at);
      if (this.pointAt(index, at, t) && (best === null || t > best)) best = t;
    }
    return best;
  }

  private slotOffset(index: number, t: number): number {
    const { stepMs, slots } = this.archives[index] as Archive;
    return (this.offsets[index] as number) + (Math.floor(t / stepMs) % slots) * SLOT_BYTES;
  }

  private pointAt(index: number, at: number, t: number): Point | null {
    const stored = this.buf.readDoubleLE(at);
    if (stored !== t || t <= 0 || t % (this.archives[index] as Archive).stepMs !== 0) return null;
    const values: number[] = [];
    for (let i = 0; i < VALUE_NAMES.length; i++) {
      const v = this.buf.readFloatLE(at + 8 + 4 * i);
      // A torn or scribbled slot reads as no point rather than as a wild value.
      if (!Number.isFinite(v) || v < 0) return null;
      values.push(v);
    }
    return { t, values };
  }
}

function writeHeader(buf: Buffer, archives: readonly Archive[]): void {
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(VERSION, 8);
  buf.writeUInt32LE(VALUE_NAMES.length, 12);
  buf.writeUInt32LE(archives.length, 16);
  archives.forEach((a, i) => {
    buf.writeUInt32LE(a.stepMs, 20 + 8 * i);
    buf.writeUInt32LE(a.slots, 24 + 8 * i);
  });
}

function headerProblem(buf: Buffer, archives: readonly Archive[]): string | null {
  if (buf.toString('latin1', 0, 8) !== MAGIC) return 'it is not a Nova metrics file';
  if (buf.readUInt32LE(8) !== VERSION) return `its format version is ${buf.readUInt32LE(8)}, not ${VERSION}`;
  const expected = Buffer.alloc(HEADER_BYTES);
  writeHeader(expected, archives);
  return buf.subarray(0, HEADER_BYTES).equals(expected) ? null : 'its archives differ from the ones this Nova keeps';
}
