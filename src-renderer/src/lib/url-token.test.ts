import { describe, expect, it } from 'vitest';
import { urlWithoutToken } from './url-token.js';

describe('urlWithoutToken', () => {
  it('drops only the token and keeps path, other params and the route hash', () => {
    expect(urlWithoutToken('http://127.0.0.1:7420/?token=abc#/vms')).toBe('/#/vms');
    expect(urlWithoutToken('http://127.0.0.1:7420/index.html?x=1&token=abc')).toBe('/index.html?x=1');
  });

  it('leaves URLs without a token alone', () => {
    expect(urlWithoutToken('http://127.0.0.1:7420/#/host')).toBeNull();
    expect(urlWithoutToken('app://nova/index.html')).toBeNull();
  });
});
