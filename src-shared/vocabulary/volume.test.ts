import { describe, expect, it } from 'vitest';
import { normalizePosixPath, pathProblem } from './posix-path.js';
import { message, value } from './test-helpers.js';
import { parseGuestPath, parseHostPath, parseVolume, resolveHostPath, resolveVolume } from './volume.js';

describe('volumes', () => {
  it('parses host:guest[:ro|:rw], keeping a relative host path for the caller to resolve', () => {
    expect(value(parseVolume('./api:/srv/api'))).toEqual({ source: './api', target: '/srv/api', readOnly: false });
    expect(value(parseVolume('/data/:/data/:ro'))).toEqual({ source: '/data', target: '/data', readOnly: true });
    expect(value(parseVolume('/a//b:/c:rw'))).toEqual({ source: '/a/b', target: '/c', readOnly: false });
    expect(resolveVolume(value(parseVolume('../data:/data')), '/home/dev/proj')).toEqual({ source: '/home/dev/data', target: '/data', readOnly: false });
  });

  it('explains what is wrong', () => {
    expect(message(parseVolume('./a'))).toContain('is not a volume');
    expect(message(parseVolume('./a:/b/../../etc'))).toContain('contains ".."');
    expect(message(parseVolume('/srv/../etc:/b'))).toContain('contains ".."');
    expect(message(parseVolume('./a:/'))).toContain("capsule's root");
    expect(message(parseVolume('./a:srv'))).toContain('the guest path "srv" must be absolute');
    expect(message(parseVolume('./a:/a:readonly'))).toContain('use ":ro" or ":rw"');
    expect(message(parseVolume('~/src:/src'))).toContain('which Nova does not expand');
    expect(message(parseVolume(':/a'))).toContain('has no host path');
  });

  it('checks paths on their own', () => {
    expect(message(parseHostPath('/vols/../'))).toBe('volume source "/vols/../" contains ".."; write the path it stands for');
    expect(message(parseHostPath('vols'))).toContain('must be an absolute path');
    expect(value(parseGuestPath('/srv//app/', 'workdir'))).toBe('/srv/app');
    expect(message(parseGuestPath('app', 'workdir'))).toContain('must be absolute');
  });
});

describe('posix paths, by hand', () => {
  it.each([
    ['/a//b/./c/', '/a/b/c'],
    ['/', '/'],
    ['/..', '/'],
    ['a/../b', 'b'],
    ['../x', '../x'],
    ['.', '.'],
    ['./a/', 'a'],
  ])('normalizes %j to %j as node:path would', (input, expected) => {
    expect(normalizePosixPath(input)).toBe(expected);
  });

  it('resolves from a folder', () => {
    expect(resolveHostPath('/home/dev/proj', 'data')).toBe('/home/dev/proj/data');
    expect(resolveHostPath('/home/dev/proj', '/etc/hosts')).toBe('/etc/hosts');
  });

  it('refuses what nothing would expand', () => {
    expect(pathProblem('')).toContain('empty');
    expect(pathProblem('~')).toContain('"~"');
    expect(pathProblem('a\0b')).toContain('NUL');
    expect(pathProblem('~user/x')).toBeUndefined();
  });
});
