// How a caller hands the helper a file it opened itself: it connects to the helper's
// descriptor socket (beside the RPC socket), sends one byte with the open descriptor
// attached (SCM_RIGHTS) and reads back one JSON line with a token; a request then names
// the file by that token. The caller's own right to read the file is what counts.
import { z } from 'zod';

/** The descriptor socket of a helper serving RPC on `socketPath`. */
export function descriptorSocketPathOf(socketPath: string): string {
  return `${socketPath}.fd`;
}

export const DescriptorTokenSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a token from the helper\'s descriptor socket');

/** A file handed over by descriptor: its token, and the name it had (for messages and its kind). */
export const HandedFileSchema = z.strictObject({
  token: DescriptorTokenSchema,
  fileName: z.string().min(1).max(4096),
});
export type HandedFile = z.infer<typeof HandedFileSchema>;

/** The helper's one line of answer on the descriptor socket. */
export type DescriptorReceipt = { token: string } | { error: string };
