import { describe, expect, it } from 'vitest';
import { END_FRAME, frame, FrameReader, MAX_FRAME_BYTES, tarCreateArgv, tarExtractArgv } from './move-stream.js';

describe('the archives of a move', () => {
  it('sends a file under its name in the destination, holes left out, owners and attributes kept', () => {
    expect(tarCreateArgv({ dir: '/srv/images', entry: 'web.raw', as: 'disk0.raw' })).toEqual([
      'tar', '--create', '--file=-', '--sparse', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--directory', '/srv/images', '--transform', 's,^web\\.raw,disk0.raw,S', '--', 'web.raw',
    ]);
  });

  it('renames nothing when the name is the same, and a whole folder by its "."', () => {
    expect(tarCreateArgv({ dir: '/var/lib/nova/vms/web', entry: 'disk0.qcow2', as: 'disk0.qcow2' })).not.toContain('--transform');
    expect(tarCreateArgv({ dir: '/var/lib/nova/capsules/api/upper', entry: '.', as: 'layer' })).toContain('s,^\\.,layer,S');
  });

  it('escapes what GNU tar would read as its own syntax in a file name', () => {
    expect(tarCreateArgv({ dir: '/d', entry: 'a,b&c[1].img', as: 'disk1.raw' })).toContain('s,^a\\,b\\&c\\[1\\]\\.img,disk1.raw,S');
  });

  it('unpacks every archive of the stream into the staging folder with their owners', () => {
    expect(tarExtractArgv('/var/lib/nova/vms/.arriving-web')).toEqual([
      'tar', '--extract', '--file=-', '--ignore-zeros', '--preserve-permissions', '--same-owner', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--directory', '/var/lib/nova/vms/.arriving-web',
    ]);
  });
});

describe('FrameReader', () => {
  it('gives back the payloads however the bytes are cut, and sees the end', () => {
    const wire = Buffer.concat([frame(Buffer.from('hello ')), frame(Buffer.from('world')), END_FRAME]);
    const reader = new FrameReader();
    const got: string[] = [];
    for (let i = 0; i < wire.length; i += 3) got.push(...reader.push(wire.subarray(i, i + 3)).map((b) => b.toString()));
    expect(got.join('')).toBe('hello world');
    expect(reader.ended).toBe(true);
  });

  it('is not ended by a stream cut short', () => {
    const reader = new FrameReader();
    reader.push(frame(Buffer.from('partial')).subarray(0, 6));
    expect(reader.ended).toBe(false);
  });

  it('refuses a frame larger than any source writes, and data after the end', () => {
    const big = Buffer.alloc(4);
    big.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expect(() => new FrameReader().push(big)).toThrow('more than');
    expect(() => new FrameReader().push(Buffer.concat([END_FRAME, frame(Buffer.from('x'))]))).toThrow('after the end');
  });
});
