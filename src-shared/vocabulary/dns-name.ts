// DNS names: a network's domain, a guest's host name, an overlay peer written by name.
// Lowercased, as DNS compares them; a trailing dot is dropped.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export type DnsNameKind = 'domain' | 'hostname' | 'peer address';

const EXAMPLES: Record<DnsNameKind, string> = {
  domain: '"lab.example"',
  hostname: '"web-1" or "web-1.lab.example"',
  'peer address': '"peer.lan"',
};
const NOUNS: Record<DnsNameKind, string> = { domain: 'domain', hostname: 'host name', 'peer address': 'peer address' };

export function parseDnsName(text: string, kind: DnsNameKind): Parsed<string> {
  const name = text.toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253 || !name.split('.').every((label) => DNS_LABEL.test(label))) {
    return fail(`${describeValue(text)} is not a valid ${NOUNS[kind]}; use dot-separated labels of letters, digits and "-" (e.g. ${EXAMPLES[kind]})`);
  }
  return ok(name);
}
