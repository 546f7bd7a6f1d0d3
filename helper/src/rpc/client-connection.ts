// One client of the helper's socket: its identity, its requests in flight, whether it
// subscribed to events, and the bound on what it has not read yet. A client that stops
// reading is not read from either (its requests wait in its own socket), and one that
// still does not read is dropped, so its unread replies never grow the helper.
import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder, type DecodedFrame } from '../../../src-shared/wire/frame-decoder.js';
import type { Caller } from '../auth/peer-credentials.js';

export interface BacklogLimits {
  /** Unsent bytes past which the helper reads nothing more from this client. */
  pauseAtBytes: number;
  /** Unsent bytes past which the client is dropped at once. */
  dropAtBytes: number;
  /** How long the client may stay paused before it is dropped. */
  stallMs: number;
}

export const DEFAULT_BACKLOG_LIMITS: BacklogLimits = { pauseAtBytes: 1024 * 1024, dropAtBytes: 8 * 1024 * 1024, stallMs: 10_000 };

export interface ClientConnectionOptions {
  maxFrameBytes: number;
  backlog: BacklogLimits;
  onFrame: (conn: ClientConnection, frame: DecodedFrame) => void;
  onDrop: (conn: ClientConnection, reason: string) => void;
}

export class ClientConnection {
  inFlight = 0;
  /** Set by a granted events.subscribe; the connection then hears every event. */
  subscribed = false;
  private readonly decoder: FrameDecoder;
  /** Frames read but not yet handled: at most one chunk's worth, kept while paused. */
  private queued: DecodedFrame[] = [];
  private nextQueued = 0;
  private stall: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: Socket,
    readonly caller: Caller,
    private readonly options: ClientConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes);
  }

  get isOpen(): boolean {
    return !this.socket.destroyed;
  }

  /** Calls `listener` once when the connection closes (at once if it has); the returned function unregisters it. */
  onClose(listener: () => void): () => void {
    if (this.socket.destroyed) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.socket.once('close', listener);
    return () => this.socket.off('close', listener);
  }

  /** True while the client has too much unread and nothing more is read from it. */
  get isPaused(): boolean {
    return this.stall !== null;
  }

  start(): void {
    this.socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.queued.push(frame);
      this.pump();
    });
    // 'drain': everything written so far has reached the kernel, so the client is reading.
    this.socket.on('drain', () => this.relieve());
    this.socket.on('close', () => this.clearStall());
  }

  send(message: unknown): void {
    if (this.socket.destroyed) return;
    this.socket.write(encodeFrame(message));
    const backlog = this.socket.writableLength;
    const { pauseAtBytes, dropAtBytes, stallMs } = this.options.backlog;
    if (backlog > dropAtBytes) {
      this.drop(`${backlog} bytes of replies and events left unread`);
    } else if (backlog > pauseAtBytes && !this.stall) {
      this.socket.pause();
      this.stall = setTimeout(() => this.drop(`read none of its ${this.socket.writableLength} unread bytes for ${stallMs} ms`), stallMs);
    }
  }

  drop(reason: string): void {
    if (this.socket.destroyed) return;
    this.clearStall();
    this.options.onDrop(this, reason);
    this.socket.destroy();
  }

  private pump(): void {
    while (!this.stall && !this.socket.destroyed && this.nextQueued < this.queued.length) {
      const frame = this.queued[this.nextQueued++] as DecodedFrame;
      this.options.onFrame(this, frame);
    }
    if (this.nextQueued >= this.queued.length) {
      this.queued = [];
      this.nextQueued = 0;
    }
  }

  private relieve(): void {
    if (!this.stall || this.socket.destroyed) return;
    this.clearStall();
    this.socket.resume();
    this.pump();
  }

  private clearStall(): void {
    if (this.stall) clearTimeout(this.stall);
    this.stall = null;
  }
}
