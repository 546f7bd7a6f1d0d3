// An OpenSSH public key line ("ssh-ed25519 AAAA... comment") for cloud-init; a private
// key pasted by mistake is named as such.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

const MAX_KEY_LINE = 16_384;

export function parseSshPublicKey(text: string): Parsed<string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    return fail('this is a private key, not an SSH public key; paste the public key (the ".pub" file) instead, and keep the private key to yourself');
  }
  if (trimmed.length <= MAX_KEY_LINE && /^(?:ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}(?: [^\n\r]*)?$/.test(trimmed)) return ok(trimmed);
  const shown = describeValue(text.length > 40 ? `${text.slice(0, 37)}...` : text);
  return fail(`${shown} is not an SSH public key; paste a line from a ".pub" file, e.g. "ssh-ed25519 AAAA... you@host"`);
}
