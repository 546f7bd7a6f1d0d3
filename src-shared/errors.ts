// The one error shape that crosses every boundary (helper -> main -> renderer,
// helper -> CLI). `instanceof` does not survive IPC or JSON-RPC, so errors travel
// as {code, message, details} with a code from a closed set, and are rebuilt here.
import { z } from 'zod';

export const ErrorCodeSchema = z.enum([
  'invalid_argument', // a parameter failed its schema or a semantic check
  'not_found',
  'already_exists',
  'failed_precondition', // the resource is in the wrong state for this operation
  'locked', // another operation holds the resource; the message names it
  'not_authorized', // polkit (or the peer check) refused the caller
  'unknown_method',
  'protocol', // a malformed frame or JSON-RPC envelope
  'frame_too_large',
  'unavailable', // the helper (or a host tool it needs) cannot be reached
  'unsupported', // the host cannot provide what was asked
  'timeout',
  'cancelled',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorShapeSchema = z.strictObject({
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorShape = z.infer<typeof ErrorShapeSchema>;

export class NovaError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'NovaError';
    this.code = code;
    this.details = details;
  }

  toShape(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromShape(shape: ErrorShape): NovaError {
    return new NovaError(shape.code, shape.message, shape.details);
  }
}

/** Any thrown value as the wire shape; unknown errors become `internal`. */
export function toErrorShape(err: unknown): ErrorShape {
  if (err instanceof NovaError) return err.toShape();
  const parsed = ErrorShapeSchema.safeParse(err);
  if (parsed.success) return parsed.data;
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}

export function isNovaError(err: unknown, code?: ErrorCode): err is NovaError {
  return err instanceof NovaError && (code === undefined || err.code === code);
}

/** How many issues an `invalid_argument` names, and how long each part may be. */
export const MAX_REPORTED_ISSUES = 5;
// Long enough for the vocabulary's own explanations (a network name's runs to about 150), short
// enough that a value echoed inside a message stays small.
const MAX_ISSUE_TEXT = 240;

/**
 * A zod failure as an `invalid_argument` naming the first few offending fields. Only
 * a few, each cut short: an answer never grows with the request (a list of 4000 bad
 * items must not come back as 4000 issues, nor a huge key as itself).
 */
export function schemaError(what: string, error: z.ZodError): NovaError {
  const issues = error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
    path: clip(issue.path.map(String).join('.')),
    message: clip(issue.message),
  }));
  const omitted = error.issues.length - issues.length;
  const first = issues[0];
  const where = first && first.path ? ` at "${first.path}"` : '';
  return new NovaError(
    'invalid_argument',
    `${what}: ${first?.message ?? 'invalid'}${where}${omitted > 0 ? ` (and ${omitted} more)` : ''}`,
    omitted > 0 ? { issues, omitted } : { issues },
  );
}

function clip(text: string): string {
  return text.length <= MAX_ISSUE_TEXT ? text : `${text.slice(0, MAX_ISSUE_TEXT - 1)}…`;
}

/** The envelope every NovaApi call resolves to on transports that cannot throw typed errors. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorShape };
