// The byte protocol of an interactive capsule terminal, in one place: the helper serves it
// on the one-connection socket `capsule.terminalOpen` returns, the CLI speaks it, and main
// will proxy it to xterm.js. Every message is a frame, so terminal bytes never need escaping:
//
//   +--------+-------------------+-----------------+
//   | type   | length            | payload         |
//   | 1 byte | 4 bytes, big end. | `length` bytes  |
//   +--------+-------------------+-----------------+
//
//   0x00 data    both ways    raw terminal bytes (keystrokes in, output out)
//   0x01 resize  client->pty  UTF-8 JSON {"cols":N,"rows":N}
//   0x02 exit    pty->client  UTF-8 JSON {"exitCode":N}; the helper closes the socket after it
//
// A frame of another type, or longer than MAX_TERMINAL_FRAME_BYTES, is a protocol error:
// the receiver closes the connection. Uint8Array only, so the renderer can use it too.
import { z } from 'zod';

export const TERMINAL_FRAME_DATA = 0x00;
export const TERMINAL_FRAME_RESIZE = 0x01;
export const TERMINAL_FRAME_EXIT = 0x02;
export const MAX_TERMINAL_FRAME_BYTES = 1024 * 1024;
const HEADER_BYTES = 5;

export const TerminalResizeSchema = z.strictObject({
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});
export const TerminalExitSchema = z.strictObject({ exitCode: z.number().int() });

export type TerminalFrame =
  | { type: 'data'; data: Uint8Array }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'exit'; exitCode: number };

function frame(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_TERMINAL_FRAME_BYTES) throw new Error(`terminal frame of ${payload.length} bytes exceeds ${MAX_TERMINAL_FRAME_BYTES}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, payload.length, false);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Terminal bytes; long input is split into several frames. */
export function encodeTerminalData(data: Uint8Array | string): Uint8Array[] {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += MAX_TERMINAL_FRAME_BYTES) frames.push(frame(TERMINAL_FRAME_DATA, bytes.subarray(i, i + MAX_TERMINAL_FRAME_BYTES)));
  return frames;
}

export function encodeTerminalResize(cols: number, rows: number): Uint8Array {
  return frame(TERMINAL_FRAME_RESIZE, new TextEncoder().encode(JSON.stringify(TerminalResizeSchema.parse({ cols, rows }))));
}

export function encodeTerminalExit(exitCode: number): Uint8Array {
  return frame(TERMINAL_FRAME_EXIT, new TextEncoder().encode(JSON.stringify({ exitCode })));
}

/** Reassembles frames from a byte stream cut anywhere; throws on a protocol error. */
export class TerminalFrameDecoder {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): TerminalFrame[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf, 0);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    const frames: TerminalFrame[] = [];
    while (this.buf.length >= HEADER_BYTES) {
      const type = this.buf[0]!;
      const length = new DataView(this.buf.buffer, this.buf.byteOffset, HEADER_BYTES).getUint32(1, false);
      if (type > TERMINAL_FRAME_EXIT) throw new Error(`unknown terminal frame type ${type}`);
      if (length > MAX_TERMINAL_FRAME_BYTES) throw new Error(`terminal frame of ${length} bytes exceeds ${MAX_TERMINAL_FRAME_BYTES}`);
      if (this.buf.length < HEADER_BYTES + length) break;
      const payload = this.buf.slice(HEADER_BYTES, HEADER_BYTES + length);
      this.buf = this.buf.slice(HEADER_BYTES + length);
      frames.push(decodePayload(type, payload));
    }
    return frames;
  }
}

function decodePayload(type: number, payload: Uint8Array): TerminalFrame {
  if (type === TERMINAL_FRAME_DATA) return { type: 'data', data: payload };
  const json: unknown = JSON.parse(new TextDecoder().decode(payload));
  if (type === TERMINAL_FRAME_RESIZE) return { type: 'resize', ...TerminalResizeSchema.parse(json) };
  return { type: 'exit', ...TerminalExitSchema.parse(json) };
}
