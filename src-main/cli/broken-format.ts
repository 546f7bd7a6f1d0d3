// Broken resources in `nova vm|capsule|net ls`: a row each under the table's NAME and
// STATE columns with the reason after it, and one line on how to remove them.
import type { BrokenRecord } from '../../src-shared/broken-record.js';

/** Rows to append to a table whose first two columns (name, state) are this wide. */
export function brokenRows(broken: readonly BrokenRecord[], nameWidth: number, stateWidth: number): string[] {
  return broken.map((b) => `${b.name.padEnd(nameWidth)} ${b.state.padEnd(stateWidth)} ${b.stateReason}`);
}

export function brokenHint(broken: readonly BrokenRecord[], removeCommand: string): string {
  if (broken.length === 0) return '';
  const which = broken.length === 1 ? `${broken[0]!.name}'s state file cannot` : `${broken.length} state files cannot`;
  return `\n${which} be read: see the reason above, and remove it with \`${removeCommand} NAME\` (the record and what Nova made for it).`;
}
