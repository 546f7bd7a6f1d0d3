import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from './did-you-mean.js';

describe('did-you-mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('memroy', 'memory')).toBe(1);
    expect(editDistance('netwrok', 'network')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    const vmKeys = ['image', 'cpu', 'memory', 'network', 'gpu_passthrough', 'cloud_init'];
    expect(closestMatch('memroy', vmKeys)).toBe('memory');
    expect(closestMatch('Memory', vmKeys)).toBe('memory');
    expect(closestMatch('cloudinit', vmKeys)).toBe('cloud_init');
    expect(closestMatch('cpus', vmKeys)).toBe('cpu');
    expect(closestMatch('ports', vmKeys)).toBeUndefined();
    expect(closestMatch('gpu', vmKeys)).toBe('cpu');
    expect(closestMatch('x', vmKeys)).toBeUndefined();
  });
});
