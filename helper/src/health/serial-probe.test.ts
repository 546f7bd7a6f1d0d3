import { appendFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SerialMatcher, serialProbe } from './serial-probe.js';

describe('SerialMatcher', () => {
  it('matches a whole line, even one that arrives in pieces', () => {
    const m = new SerialMatcher('^nova-ready [0-9]+$');
    expect(m.feed('booting...\r\nnova-re')).toBe(false);
    expect(m.feed('ady 4')).toBe(false);
    expect(m.feed('2\r\nmore\n')).toBe(true);
    expect(m.matched).toBe('nova-ready 42');
  });

  it('waits for the end of an unfinished line, and stays matched once it did', () => {
    const m = new SerialMatcher('^ready 4$');
    expect(m.feed('ready 4')).toBe(false);
    expect(m.feed('2\n')).toBe(false);
    const prompt = new SerialMatcher('login:');
    expect(prompt.feed('Debian GNU/Linux\nhost login: ')).toBe(false);
    expect(prompt.feed('\nanything else')).toBe(true);
    expect(prompt.feed('more\n')).toBe(true);
    expect(prompt.matched).toBe('host login: ');
  });

  it('does not match across lines', () => {
    const m = new SerialMatcher('ready now');
    expect(m.feed('ready\nnow\n')).toBe(false);
  });
});

describe('serialProbe', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('reads the log on from where it stopped and passes once a line matched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv9h-serial-'));
    dirs.push(dir);
    const log = join(dir, 'serial.log');
    const probe = serialProbe(dir, log, '^READY$');
    const signal = new AbortController().signal;
    expect(await probe(signal)).toEqual({ ok: false, line: 'no line matching /^READY$/ on the serial console since the start' });
    await writeFile(log, 'boot\n');
    expect((await probe(signal)).ok).toBe(false);
    await appendFile(log, 'READY\n');
    expect(await probe(signal)).toEqual({ ok: true, line: 'serial console: "READY"' });
  });

  it('follows no link: a log replaced by a link to another file is not read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv9h-serial-'));
    dirs.push(dir);
    const secret = join(dir, 'secret');
    await writeFile(secret, 'root:$6$hash\n');
    await symlink(secret, join(dir, 'serial.log'));
    const r = await serialProbe(dir, join(dir, 'serial.log'), 'root')(new AbortController().signal);
    expect(r.ok).toBe(false);
  });
});
