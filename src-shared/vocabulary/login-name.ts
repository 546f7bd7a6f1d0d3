// A Linux login name for the user cloud-init creates, as useradd accepts by default.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export function parseLoginName(text: string): Parsed<string> {
  if (/^[a-z_][a-z0-9_-]{0,31}$/.test(text)) return ok(text);
  return fail(`${describeValue(text)} is not a user name; use up to 32 lowercase letters, digits, "_" and "-", starting with a letter`);
}
