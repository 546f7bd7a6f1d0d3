// Environment variable names inside a capsule, as POSIX shells accept them.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseEnvName(name: string): Parsed<string> {
  return ENV_NAME.test(name)
    ? ok(name)
    : fail(`${describeValue(name)} is not an environment variable name; use letters, digits and "_", not starting with a digit`);
}

/** "KEY=value" as `-e` and the create dialog take it; the value may hold "=". */
export function parseEnvEntry(text: string): Parsed<[string, string]> {
  const eq = text.indexOf('=');
  if (eq <= 0) return fail(`${describeValue(text)} is not KEY=value`);
  const name = parseEnvName(text.slice(0, eq));
  return name.ok ? ok([name.value, text.slice(eq + 1)]) : name;
}
