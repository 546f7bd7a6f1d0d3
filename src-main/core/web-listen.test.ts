import { describe, expect, it } from 'vitest';
import { hostHeadersFor, isLoopback, parseListenAddress } from './web-listen.js';

describe('nova web --listen', () => {
  it('reads an address with or without a port, IPv6 in brackets', () => {
    expect(parseListenAddress('192.168.1.5:8443')).toEqual({ host: '192.168.1.5', port: 8443 });
    expect(parseListenAddress('10.0.0.1', 9000)).toEqual({ host: '10.0.0.1', port: 9000 });
    expect(parseListenAddress('[fd00::5]:8443')).toEqual({ host: 'fd00::5', port: 8443 });
    expect(parseListenAddress('::')).toEqual({ host: '::', port: 7420 });
  });

  it('refuses what is not an address and port', () => {
    for (const bad of ['nova.example:8443', '1.2.3.4:99999', '1.2.3.4:x', '', '[::1', '1.2.3:80']) expect(() => parseListenAddress(bad), bad).toThrow();
  });

  it('knows loopback from the rest', () => {
    expect(['127.0.0.1', '127.0.0.2', '::1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '0.0.0.0', '::', '128.0.0.1'].some(isLoopback)).toBe(false);
  });

  it('answers to a name with its port, and without it only on the scheme\'s own port', () => {
    expect(hostHeadersFor('nova.example', 8443, 443)).toEqual(['nova.example:8443']);
    expect(hostHeadersFor('nova.example', 443, 443)).toEqual(['nova.example:443', 'nova.example']);
    expect(hostHeadersFor('fd00::5', 8443, 443)).toEqual(['[fd00::5]:8443']);
  });
});
