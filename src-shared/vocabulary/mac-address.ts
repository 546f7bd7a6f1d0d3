// A MAC address a user gives a guest's interface. Only a unicast address can be an
// interface's own: a multicast one (the first octet's lowest bit set, e.g. 01:00:5e:...)
// or the broadcast address would have every frame for that group delivered to the guest,
// and the all-zero address is no address at all.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

/** "52:54:00:12:34:56" or with "-" between octets, any case; returned lowercase with ":". */
export function parseMacAddress(text: string): Parsed<string> {
  const match = /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/.exec(text);
  if (!match) return fail(`${describeValue(text)} is not a MAC address; write six hex octets such as "52:54:00:12:34:56"`);
  const octets = [match[1], match[3], match[4], match[5], match[6], match[7]].map((o) => (o ?? '').toLowerCase());
  const mac = octets.join(':');
  if (mac === '00:00:00:00:00:00') return fail('00:00:00:00:00:00 is not an address an interface can have');
  if (parseInt(octets[0] ?? '0', 16) & 1) {
    return fail(`${mac} is a multicast${mac === 'ff:ff:ff:ff:ff:ff' ? ' (broadcast)' : ''} address; an interface needs a unicast one (the first octet even, e.g. "52:54:00:...")`);
  }
  return ok(mac);
}
