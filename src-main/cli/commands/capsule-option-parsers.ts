// Flag parsers `nova capsule create` and `nova capsule set` share: memory limits in bytes,
// env entries gathered into a map, and volumes with relative host paths made absolute.
import type { Volume } from '../../../src-shared/capsule.js';
import { CAPSULE_MEMORY, MEBIBYTE, parseEnvEntry, parseSize, parseVolume, resolveVolume, type Parsed } from '../../../src-shared/vocabulary/index.js';
import { single } from './option-parsers.js';

/** `--memory 512` is 512 MiB, `2g`, `2GiB`, `512Mi` as everywhere else in Nova; in bytes, as the spec stores it. */
export function parseMemoryLimit(text: string): Parsed<number> {
  const mib = parseSize(text, CAPSULE_MEMORY);
  return mib.ok ? { ok: true, value: mib.value * MEBIBYTE } : mib;
}

export function envEntry(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const [key, value] = single(parseEnvEntry)(text);
  return { ...previous, [key]: value };
}

/** A relative host path is taken from the folder nova runs in, as a shell user expects. */
export function volumeEntry(text: string, previous: Volume[] = []): Volume[] {
  return [...previous, resolveVolume(single(parseVolume)(text), process.cwd())];
}
