import { describe, expect, it } from 'vitest';
import { encodeTerminalData, encodeTerminalExit, encodeTerminalResize, TerminalFrameDecoder } from './terminal-protocol.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('terminal protocol', () => {
  it('round-trips data, resize and exit frames cut at every byte', () => {
    const bytes = concat([...encodeTerminalData('echo $((6*7))\r\u00e9'), encodeTerminalResize(120, 40), encodeTerminalExit(3)]);
    const d = new TerminalFrameDecoder();
    const frames = [...bytes].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(frames).toHaveLength(3);
    expect(frames[0]!.type === 'data' && new TextDecoder().decode(frames[0]!.data)).toBe('echo $((6*7))\r\u00e9');
    expect(frames[1]).toEqual({ type: 'resize', cols: 120, rows: 40 });
    expect(frames[2]).toEqual({ type: 'exit', exitCode: 3 });
  });

  it('carries any byte in data, control sequences included', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const [frame] = new TerminalFrameDecoder().push(concat(encodeTerminalData(all)));
    expect(frame).toEqual({ type: 'data', data: all });
  });

  it('refuses unknown frame types, oversize frames and bad resize sizes', () => {
    expect(() => new TerminalFrameDecoder().push(Uint8Array.of(9, 0, 0, 0, 0))).toThrow(/unknown terminal frame type 9/);
    expect(() => new TerminalFrameDecoder().push(Uint8Array.of(0, 0x7f, 0, 0, 0))).toThrow(/exceeds/);
    expect(() => encodeTerminalResize(0, 24)).toThrow();
  });
});
