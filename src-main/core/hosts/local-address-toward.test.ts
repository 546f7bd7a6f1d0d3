// The address a move to this machine listens on: the kernel's source address toward the
// other host, read from `ip route get` (here, toward loopback).
import { describe, expect, it } from 'vitest';
import { localAddressToward, routeSource } from './local-address-toward.js';

describe("this machine's address toward another host", () => {
  it("is the route's preferred source", () => {
    expect(routeSource('[{"dst":"10.217.8.2","dev":"nv7pa0","prefsrc":"10.217.8.1","flags":[],"uid":0,"cache":[]}]')).toBe('10.217.8.1');
    expect(routeSource('[{"dst":"10.0.0.1","dev":"eth0"}]')).toBeNull();
    expect(routeSource('not json')).toBeNull();
  });

  it('asks the kernel for a real host', async () => {
    expect(await localAddressToward('127.0.0.3')).toBe('127.0.0.1');
  });
});
