// Messages between the helper and a pty host (pty-host.ts), the child process that owns one
// interactive terminal. They travel over Node's IPC channel as JSON; the host checks every
// message it gets, because a malformed one must end the session, not the helper.
import { z } from 'zod';

export const PtySpawnRequestSchema = z.strictObject({
  t: z.literal('spawn'),
  file: z.string().min(1),
  args: z.array(z.string()),
  name: z.string(),
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
  cwd: z.string(),
  env: z.record(z.string(), z.string()),
});

/** What the helper sends to a pty host. */
export const ToPtyHostSchema = z.discriminatedUnion('t', [
  PtySpawnRequestSchema,
  z.strictObject({ t: z.literal('write'), d: z.string() }),
  z.strictObject({ t: z.literal('resize'), cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) }),
  z.strictObject({ t: z.literal('kill'), signal: z.string().optional() }),
]);
export type ToPtyHost = z.infer<typeof ToPtyHostSchema>;

/** What a pty host sends back. */
export type FromPtyHost =
  | { t: 'data'; d: string }
  | { t: 'exit'; code: number; signal: number | null }
  | { t: 'error'; message: string };
