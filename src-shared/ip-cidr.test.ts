import { describe, expect, it } from 'vitest';
import { cidrContains, cidrsOverlap, formatCidr, formatIp, parseCidr, parseIp } from './ip-cidr.js';

describe('ip-cidr', () => {
  it('parses IPv4 strictly', () => {
    expect(parseIp('192.168.220.1')).toEqual({ family: 4, value: 0xc0a8dc01n });
    for (const bad of ['256.0.0.1', '010.0.0.1', '1.2.3', '1.2.3.4.5', '1.2.3.4 ', '']) expect(parseIp(bad)).toBeNull();
  });

  it('parses every IPv6 spelling and prints RFC 5952 form', () => {
    const canonical = (s: string) => {
      const ip = parseIp(s);
      return ip && formatIp(ip);
    };
    expect(canonical('fd00::1')).toBe('fd00::1');
    expect(canonical('FD00:0:0:0:0:0:0:1')).toBe('fd00::1');
    expect(canonical('::')).toBe('::');
    expect(canonical('::1')).toBe('::1');
    expect(canonical('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonical('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(canonical('fe80::1%eth0')).toBeNull();
  });

  it('parses CIDRs and tells containment and overlap', () => {
    const lan = parseCidr('192.168.220.1/24');
    expect(lan && formatCidr(lan, true)).toBe('192.168.220.0/24');
    expect(lan && formatCidr(lan, false)).toBe('192.168.220.1/24');
    const ip = parseIp('192.168.220.254');
    expect(lan && ip && cidrContains(lan, ip)).toBe(true);
    const wide = parseCidr('192.168.0.0/16');
    const other = parseCidr('10.0.0.0/8');
    expect(lan && wide && cidrsOverlap(lan, wide)).toBe(true);
    expect(lan && other && cidrsOverlap(lan, other)).toBe(false);
    const v6 = parseCidr('fd00::1/64');
    expect(v6 && formatCidr(v6, true)).toBe('fd00::/64');
    expect(v6 && lan && cidrsOverlap(v6, lan)).toBe(false);
    for (const bad of ['10.0.0.1', '10.0.0.1/33', '10.0.0.1/024', '10.0.0.1/', 'fd00::/129']) expect(parseCidr(bad)).toBeNull();
  });
});

describe('IPv6 spellings, without Node', () => {
  it.each(['::', '::1', '1::', 'fe80::1', '2001:db8::8a2e:370:7334', '2001:0db8:0000:0000:0000:0000:0000:0001', '::ffff:192.0.2.1', '64:ff9b::192.0.2.33'])(
    'accepts %s',
    (text) => {
      expect(parseIp(text)?.family).toBe(6);
    },
  );
  it.each([':::', '1:::2', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8:9', '192.0.2.1::', 'fe80::1%eth0', ':1::'])(
    'refuses %s',
    (text) => {
      expect(parseIp(text)).toBeNull();
    },
  );
});
