// A capsule's log files (logs/capsule.log, then .1, .2... older): read oldest first,
// filtered by time or by cursor (follow), and rotated by Nova when the live file grows
// past its size (conmon is then asked to reopen its log). A line's sequence number is
// where its last record lies in the capsule's whole log, counted in bytes across
// rotations (each file's starting point is kept in capsule.log.offsets.json): it only grows,
// so a follower's cursor stays valid across rotations and helper restarts.
import { constants } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import type { LogLine } from '../../../src-shared/capsule.js';
import { readRecord, writeRecord, type RecordFormat } from '../state/record-store.js';
import { MAX_LINE_BYTES, parseLogRecord, type LogStream } from './log-format.js';

export interface LogQuery {
  /** Only lines at or after this time. */
  since?: Date;
  /** Only lines with a sequence number above this (a follow cursor). */
  afterSeq?: number;
  /** At most this many lines, the newest. */
  tail?: number;
}

export type LogPageLine = LogLine & { seq: number };

export interface LogPage {
  lines: LogPageLine[];
  /** Pass back as afterSeq to get only newer lines. */
  cursor: number;
}

const OffsetsSchema = z.strictObject({ bases: z.record(z.string(), z.number().int().min(0)) });
const OFFSETS: RecordFormat<z.infer<typeof OffsetsSchema>> = { what: 'capsule log offsets record', version: 1, schema: OffsetsSchema };

/** How long a rotation waits for conmon to reopen its log before going on without it. */
const REOPEN_WAIT_MS = 2_000;

interface Pending {
  at: string;
  parts: string[];
  bytes: number;
}

/**
 * Turns one file's records into lines: pieces (P) of a stream are joined up to its final
 * record (F); a joined line takes the sequence number of its last record, so a line
 * completed later never sorts before one already handed out.
 */
class LineAssembler {
  private readonly pending = new Map<LogStream, Pending>();
  readonly lines: LogPageLine[] = [];
  lastSeq = -1;

  add(seq: number, at: string, stream: LogStream, text: string, partial: boolean): void {
    this.lastSeq = Math.max(this.lastSeq, seq);
    const p = this.pending.get(stream) ?? { at, parts: [], bytes: 0 };
    p.parts.push(text);
    p.bytes += Buffer.byteLength(text);
    if (partial && p.bytes < MAX_LINE_BYTES) {
      this.pending.set(stream, p);
      return;
    }
    this.pending.delete(stream);
    // A line ended by CRLF keeps no CR, as a terminal would show it.
    this.lines.push({ seq, at: p.at, stream, text: p.parts.join('').replace(/\r$/, '') });
  }

  /** Pieces still waiting for their end: kept while the capsule runs, shown once it is done. */
  flush(seq: number): void {
    for (const [stream, p] of this.pending) this.lines.push({ seq, at: p.at, stream, text: p.parts.join('') });
    this.pending.clear();
  }
}

export class CapsuleLog {
  private queue: Promise<unknown> = Promise.resolve();
  /** The starting points as last read or written: only this log object changes them. */
  private known: Record<string, number> | null = null;

  /**
   * @param file the live log file (logs/capsule.log)
   * @param maxFiles the live file and the rotated ones kept
   * @param maxBytes the live file's size past which it is rotated
   */
  constructor(
    readonly file: string,
    readonly maxFiles: number,
    readonly maxBytes: number,
  ) {}

  private get offsetsFile(): string {
    return `${this.file}.offsets.json`;
  }

  /** Oldest first: capsule.log.(maxFiles-1) ... capsule.log.1, capsule.log. */
  private files(): string[] {
    return [...Array.from({ length: this.maxFiles - 1 }, (_, i) => `${this.file}.${this.maxFiles - 1 - i}`), this.file];
  }

  /** One thing at a time per log: a read never sees half a rotation. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** `live`: the capsule runs, so a line still in pieces may yet be continued. */
  read(q: LogQuery, live: boolean): Promise<LogPage> {
    return this.serial(async () => {
      const bases = (await this.bases()) ?? {};
      const assembler = new LineAssembler();
      for (const f of this.files()) {
        const data = await readFile(f).catch(() => null);
        if (data) readRecords(data, bases[basename(f)] ?? 0, assembler);
      }
      if (!live) assembler.flush(assembler.lastSeq);
      const sinceMs = q.since?.getTime();
      const out = assembler.lines.filter(
        (l) => (q.afterSeq === undefined || l.seq > q.afterSeq) && (sinceMs === undefined || Date.parse(l.at) >= sinceMs),
      );
      const lines = q.tail !== undefined ? out.slice(Math.max(0, out.length - q.tail)) : out;
      const cursor = Math.max(q.afterSeq ?? -1, ...out.map((l) => l.seq));
      return { lines, cursor };
    });
  }

  /**
   * Before a run: makes sure every file has its starting point. A log written by the former
   * C shim numbered its lines itself: conmon's lines continue after its last number.
   */
  prepare(): Promise<void> {
    return this.serial(async () => {
      if ((await this.bases()) !== null) return;
      await this.saveBases({ [basename(this.file)]: await legacyNextSeq(this.file) });
    });
  }

  /**
   * Moves the live file aside when it is past maxBytes. `reopen` asks the running monitor
   * to reopen its log (null when none runs); the live file's starting point is taken once
   * it has, so lines written into the old file meanwhile keep their numbers.
   */
  rotateIfFull(reopen: (() => Promise<boolean>) | null): Promise<boolean> {
    return this.serial(async () => {
      const size = await stat(this.file).then((s) => s.size, () => 0);
      if (size <= this.maxBytes) return false;
      const live = basename(this.file);
      const bases = (await this.bases()) ?? { [live]: await legacyNextSeq(this.file) };
      const next: Record<string, number> = {};
      const name = (i: number) => (i === 0 ? live : `${live}.${i}`);
      await rm(`${this.file}.${this.maxFiles - 1}`, { force: true });
      for (let i = this.maxFiles - 2; i >= 0; i--) {
        const from = i === 0 ? this.file : `${this.file}.${i}`;
        if (!(await rename(from, `${this.file}.${i + 1}`).then(() => true, () => false))) continue;
        next[name(i + 1)] = bases[name(i)] ?? 0;
      }
      if (reopen && (await reopen())) await waitForFile(this.file, REOPEN_WAIT_MS);
      const rotatedSize = await stat(`${this.file}.1`).then((s) => s.size, () => 0);
      next[live] = (next[name(1)] ?? 0) + rotatedSize;
      await this.saveBases(next);
      return true;
    });
  }

  private async bases(): Promise<Record<string, number> | null> {
    this.known ??= (await readRecord(OFFSETS, this.offsetsFile).catch(() => null))?.bases ?? null;
    return this.known;
  }

  private async saveBases(bases: Record<string, number>): Promise<void> {
    this.known = null;
    await writeRecord(OFFSETS, this.offsetsFile, { bases });
    this.known = bases;
  }
}

/** Feeds one file's records, each numbered by base + its byte offset (old shim lines by their own number). */
function readRecords(data: Buffer, base: number, into: LineAssembler): void {
  for (let start = 0; start < data.length; ) {
    let nl = data.indexOf(0x0a, start);
    if (nl < 0) nl = data.length;
    const r = parseLogRecord(data.toString('utf8', start, nl));
    if (r?.kind === 'k8s') into.add(base + start, r.at, r.stream, r.text, r.partial);
    else if (r?.kind === 'legacy') into.add(r.seq, r.at, r.stream, r.text, false);
    start = nl + 1;
  }
}

/** One past the last number the former shim gave a line (0 when it logged nothing). */
async function legacyNextSeq(file: string): Promise<number> {
  let last = -1;
  for (const f of [`${file}.1`, file]) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const r = line.startsWith('{') ? parseLogRecord(line) : null;
      if (r?.kind === 'legacy') last = Math.max(last, r.seq);
    }
  }
  return last + 1;
}

async function waitForFile(path: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await stat(path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Asks conmon to reopen its log through its control fifo; false when nobody reads it (the
 * monitor is gone). Non-blocking: an open of a fifo without a reader must not hang.
 */
export async function requestReopen(controlFifo: string, request: string): Promise<boolean> {
  try {
    const fh = await open(controlFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      await fh.write(request);
      return true;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}
