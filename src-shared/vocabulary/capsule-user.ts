// The user a capsule's process runs as: a numeric uid or uid:gid. Names would need the
// image's /etc/passwd, which Nova does not read, so they are refused up front.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export function parseCapsuleUser(text: string): Parsed<string> {
  if (/^\d{1,10}(:\d{1,10})?$/.test(text)) return ok(text);
  return fail(`${describeValue(text)} is not a numeric user; write "uid" or "uid:gid" (e.g. "1000:1000"): Nova does not look names up in the image`);
}
