// Who may use a `nova web`, decided once per request and again on every call of a socket.
// Local mode (loopback, no TLS): the per-run token, with everything its user may do.
// Remote mode (TLS): a client certificate the TLS layer verified against --client-ca, or a
// scoped API token from `nova token` (web-token-store.ts); a certificate holder who also
// offers a token gets that token's scope. Failures count per client address
// (web-rate-limiter.ts) and are logged by reason and address, never with what was offered.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FailureRateLimiter } from './web-rate-limiter.js';
import type { TokenScope } from './web-scope.js';
import type { WebTokenStore } from './web-token-store.js';

export type AccessGrant = { ok: true; scope: TokenScope; who: string };
export type AccessRefusal = { ok: false; status: 401 | 403 | 429 | 503; message: string; retryAfterS?: number };
export type AccessDecision = AccessGrant | AccessRefusal;

export interface WebAccess {
  /** Whether the request (and the credential it offers, or null) may use Nova, and with which scope. */
  admit(req: IncomingMessage, credential: string | null): Promise<AccessDecision>;
  /** Again for a socket already open: a removed or expired token stops working at its next call. */
  recheck(credential: string | null, req: IncomingMessage): Promise<AccessDecision>;
}

/** The per-run token of local mode: all or nothing, as before remote mode existed. */
export class RunTokenAccess implements WebAccess {
  constructor(readonly token: string) {}

  async admit(_req: IncomingMessage, credential: string | null): Promise<AccessDecision> {
    if (credential === null) return { ok: false, status: 401, message: 'This Nova needs its web token' };
    const a = Buffer.from(credential);
    const b = Buffer.from(this.token);
    if (a.length === b.length && timingSafeEqual(a, b)) return { ok: true, scope: 'manage', who: 'run token' };
    return { ok: false, status: 401, message: 'Not this Nova\'s web token' };
  }

  recheck(credential: string | null, req: IncomingMessage): Promise<AccessDecision> {
    return this.admit(req, credential);
  }
}

export interface RemoteAccessOptions {
  tokens: WebTokenStore;
  limiter: FailureRateLimiter;
  /** Whether the TLS layer asks for client certificates (--client-ca). */
  clientCerts: boolean;
  log: (line: string) => void;
}

export class RemoteAccess implements WebAccess {
  constructor(private readonly o: RemoteAccessOptions) {}

  async admit(req: IncomingMessage, credential: string | null): Promise<AccessDecision> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const waitMs = this.o.limiter.waitMs(address);
    if (waitMs > 0) {
      const retryAfterS = Math.ceil(waitMs / 1000);
      return { ok: false, status: 429, message: `Too many failed attempts from ${address}; try again in ${retryAfterS} s`, retryAfterS };
    }
    const decision = await this.decide(req, credential);
    if (decision.ok) this.o.limiter.succeed(address);
    // Offering nothing is not a guess (a page asking whether a certificate suffices): not counted.
    else if ((decision.status === 401 && credential !== null) || decision.status === 403) {
      const failures = this.o.limiter.fail(address);
      this.o.log(`refused ${address}: ${decision.message} (failure ${failures} in a row)`);
    }
    return decision;
  }

  async recheck(credential: string | null, req: IncomingMessage): Promise<AccessDecision> {
    return this.decide(req, credential);
  }

  private async decide(req: IncomingMessage, credential: string | null): Promise<AccessDecision> {
    const certified = this.o.clientCerts ? certificateHolder(req) : null;
    // Fail closed: with --client-ca, the TLS layer already refused anyone without a good
    // certificate; a request that still lacks one is refused here too.
    if (this.o.clientCerts && certified === null) return { ok: false, status: 403, message: 'A client certificate from the configured CA is required' };
    if (credential === null) {
      if (certified !== null) return { ok: true, scope: 'manage', who: `certificate ${certified}` };
      return { ok: false, status: 401, message: 'An API token is required (create one with "nova token create")' };
    }
    let check;
    try {
      check = await this.o.tokens.check(credential);
    } catch (err) {
      return { ok: false, status: 503, message: `Tokens cannot be checked: ${(err as Error).message}` };
    }
    if (check.ok) return { ok: true, scope: check.scope, who: `token ${check.name}` };
    if (check.reason === 'expired') {
      return { ok: false, status: 401, message: `The token ${check.name} expired at ${check.expiresAt}; create a new one with "nova token create"` };
    }
    return { ok: false, status: 401, message: 'Unknown or revoked token' };
  }
}

function certificateHolder(req: IncomingMessage): string | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const subject = socket.getPeerCertificate().subject as Record<string, unknown> | undefined;
  const cn = subject?.['CN'];
  return typeof cn === 'string' ? cn : 'without a common name';
}
