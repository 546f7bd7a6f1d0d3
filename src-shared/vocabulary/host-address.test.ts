import { describe, expect, it } from 'vitest';
import { formatHostAddress, parseHostAddress, parseHostName } from './host-address.js';

describe('host addresses', () => {
  it.each([
    ['local', { kind: 'local' }],
    ['ssh://closet', { kind: 'ssh', host: 'closet' }],
    ['ssh://admin@closet.lan:2222', { kind: 'ssh', user: 'admin', host: 'closet.lan', port: 2222 }],
    ['ssh://root@10.0.0.2', { kind: 'ssh', user: 'root', host: '10.0.0.2' }],
    ['ssh://[fd00::2]:22/', { kind: 'ssh', host: 'fd00::2', port: 22 }],
    ['ssh://Closet.LAN', { kind: 'ssh', host: 'closet.lan' }],
  ])('%s parses', (text, expected) => {
    const parsed = parseHostAddress(text);
    expect(parsed).toEqual({ ok: true, value: expected });
    if (parsed.ok) expect(parseHostAddress(formatHostAddress(parsed.value))).toEqual(parsed);
  });

  it.each([
    ['closet', 'only ssh://'],
    ['http://closet', 'only ssh://'],
    ['ssh://', 'the host is missing'],
    ['ssh://-oProxyCommand=sh', 'not a valid host name'],
    ['ssh://-l@closet', 'not a user name'],
    ['ssh://a b', 'not a valid host name'],
    ['ssh://closet:0', 'out of range'],
    ['ssh://closet:22x', 'not a SSH port number'],
    ['ssh://closet/var/lib', 'path'],
    ['ssh://user:pw@closet', 'not a user name'],
    ['ssh://300.1.1.1', 'not an IPv4 address'],
    ['ssh://[closet]', 'not an IPv6 address'],
    ['ssh://closet?x=1', 'not a valid host name'],
  ])('%s is refused (%s)', (text, why) => {
    const parsed = parseHostAddress(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toContain(why);
      expect(parsed.message).toContain('ssh://[user@]host[:port]');
    }
  });

  it('host names are short lowercase words', () => {
    expect(parseHostName('closet')).toEqual({ ok: true, value: 'closet' });
    expect(parseHostName('lab-2')).toEqual({ ok: true, value: 'lab-2' });
    for (const bad of ['', 'Closet', '2lab', 'lab-', 'a/b', 'x'.repeat(33)]) expect(parseHostName(bad).ok).toBe(false);
  });
});
