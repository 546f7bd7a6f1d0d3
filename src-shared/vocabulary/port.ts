// Port numbers and the "/tcp" or "/udp" suffix, shared by port mappings, forwards and
// egress rules.
import { z } from 'zod';
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export type Protocol = 'tcp' | 'udp';

export const PortNumberSchema = z
  .number()
  .int('a port is a whole number from 1 to 65535')
  .min(1, 'a port is a whole number from 1 to 65535')
  .max(65_535, 'a port is a whole number from 1 to 65535');
export const ProtocolSchema = z.enum(['tcp', 'udp'], { error: 'the protocol is "tcp" or "udp"' });

/** "8080" as the `what` port ("host port", "guest port"). */
export function parsePort(text: string, what: string): Parsed<number> {
  if (!/^\d{1,5}$/.test(text)) return fail(`${describeValue(text)} is not a ${what} number`);
  const port = Number(text);
  if (port < 1 || port > 65_535) return fail(`${what} ${port} is out of range; ports are 1-65535`);
  return ok(port);
}

/** "tcp" or "udp" in either case; undefined when the suffix was left out. */
export function parseProtocol(text: string | undefined): Parsed<Protocol | undefined> {
  if (text === undefined) return ok(undefined);
  const lower = text.toLowerCase();
  if (lower === 'tcp' || lower === 'udp') return ok(lower);
  return fail(`${describeValue(text)} is not a protocol; use "/tcp" or "/udp"`);
}

/** "8080" or "5353/udp": a host port as `nova net forward rm` names a forward. */
export function parsePortWithProtocol(text: string, what: string): Parsed<{ port: number; protocol: Protocol }> {
  const slash = text.indexOf('/');
  const port = parsePort(slash < 0 ? text : text.slice(0, slash), what);
  if (!port.ok) return fail(`${port.message}; write a port such as 8080 or 5353/udp`);
  const protocol = parseProtocol(slash < 0 ? undefined : text.slice(slash + 1));
  if (!protocol.ok) return protocol;
  return ok({ port: port.value, protocol: protocol.value ?? 'tcp' });
}
