import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './frame-decoder.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('FrameDecoder', () => {
  it('splits frames across and within chunks', () => {
    const d = new FrameDecoder(1024);
    expect(d.push(bytes('{"a":1}\n{"b"'))).toEqual([{ kind: 'frame', text: '{"a":1}' }]);
    expect(d.push(bytes(':2}\n'))).toEqual([{ kind: 'frame', text: '{"b":2}' }]);
  });

  it('keeps multibyte characters split between chunks intact', () => {
    const d = new FrameDecoder(1024);
    const all = bytes(encodeFrame({ name: 'ĉapo-✓' }));
    const out = [...d.push(all.subarray(0, 12)), ...d.push(all.subarray(12))];
    expect(out).toEqual([{ kind: 'frame', text: '{"name":"ĉapo-✓"}' }]);
  });

  it('reports an oversize frame once, then resumes with the next one', () => {
    const d = new FrameDecoder(16);
    const big = 'x'.repeat(40);
    const out = [...d.push(bytes(big.slice(0, 20))), ...d.push(bytes(big.slice(20) + '\n{"ok":1}\n'))];
    expect(out).toEqual([
      { kind: 'oversize', bytes: 40 },
      { kind: 'frame', text: '{"ok":1}' },
    ]);
  });

  it('ignores empty lines', () => {
    expect(new FrameDecoder(8).push(bytes('\n\n{}\n'))).toEqual([{ kind: 'frame', text: '{}' }]);
  });
});
