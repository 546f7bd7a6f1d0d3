// A WireGuard public key as `wg genkey | wg pubkey` prints it: 32 bytes in base64.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export const WIREGUARD_KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
export const WIREGUARD_KEY_HELP = '44 characters of base64, as `wg pubkey` prints';

export function parseWireguardKey(text: string): Parsed<string> {
  return WIREGUARD_KEY_PATTERN.test(text) ? ok(text) : fail(`${describeValue(text)} is not a WireGuard public key (${WIREGUARD_KEY_HELP})`);
}
