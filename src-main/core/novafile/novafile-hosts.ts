// `host = "closet"` on a guest: the syntax is the schema's (a host name or "local");
// whether the name is saved is the user's host list's business, so the caller passes
// the names it knows (plan, up, down, ps and validate do; the editor's quick check,
// which has no host list, checks the syntax only).
import { closestMatch } from './did-you-mean.js';
import { isTable, type NovaFileProblem } from './novafile-references.js';
import { LOCAL_HOST, parseHostName } from '../../../src-shared/vocabulary/index.js';

export interface HostCheckOptions {
  /** The saved host names; undefined: only the syntax is checked. */
  knownHosts?: readonly string[];
}

const GUEST_GROUPS = ['vm', 'container', 'capsule'] as const;

export function checkGuestHosts(raw: Record<string, unknown>, opts: HostCheckOptions = {}): NovaFileProblem[] {
  const known = opts.knownHosts;
  if (!known) return [];
  const problems: NovaFileProblem[] = [];
  for (const group of GUEST_GROUPS) {
    const guests = raw[group];
    if (!isTable(guests)) continue;
    for (const [name, guest] of Object.entries(guests)) {
      const host = isTable(guest) ? guest.host : undefined;
      // Anything but a well-formed name is the schema's to report.
      if (typeof host !== 'string' || host === LOCAL_HOST || !parseHostName(host).ok || known.includes(host)) continue;
      const near = closestMatch(host, known);
      const hint = near ? `; did you mean "${near}"?` : known.length ? ` (saved: ${known.join(', ')})` : '; no hosts are saved';
      problems.push({ path: [group, name, 'host'], at: 'value', message: `host "${host}" is not a saved host${hint}; add it with "nova host add ${host} ssh://..."` });
    }
  }
  return problems;
}
