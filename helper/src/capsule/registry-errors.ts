// What a failed skopeo says about a registry, in the words and code a user can act on:
// an unreachable registry is not a fault inside Nova, and a name the registry does not
// have is not either. skopeo reports through logrus lines (`level=fatal msg="…"`); the
// message is what it says, without the timestamp and quoting around it.
import { NovaError } from '../../../src-shared/errors.js';

const UNREACHABLE = /connection refused|no such host|i\/o timeout|network is unreachable|no route to host|connection reset|TLS handshake timeout|server gave HTTP response to HTTPS client/i;
const MISSING = /manifest unknown|name unknown|repository name not known|not found|404/i;
const REFUSED = /unauthorized|authentication required|denied|401|403/i;

/** skopeo's own sentence from its stderr: the last logrus `msg`, unquoted, or the last line. */
export function skopeoMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.at(-1) ?? '';
  const msg = /msg="((?:[^"\\]|\\.)*)"/.exec(last)?.[1];
  return msg === undefined ? last : msg.replace(/\\(.)/g, '$1');
}

/** A failed skopeo run against `registry` as the error to show; other errors pass unchanged. */
export function registryError(err: unknown, reference: string, registry: string): unknown {
  if (!(err instanceof NovaError) || err.code !== 'internal') return err;
  const details = (err.details ?? {}) as { stderr?: unknown };
  const stderr = typeof details.stderr === 'string' ? details.stderr : err.message;
  const said = skopeoMessage(stderr);
  if (UNREACHABLE.test(said)) return new NovaError('unavailable', `the registry ${registry} cannot be reached: ${said}`, { reference, registry });
  if (REFUSED.test(said)) return new NovaError('not_authorized', `the registry ${registry} refused access to ${reference}: ${said}`, { reference, registry });
  if (MISSING.test(said)) return new NovaError('not_found', `${reference} is not in the registry ${registry}: ${said}`, { reference, registry });
  return err;
}
