// `host = "closet"` on a guest: the syntax is the schema's (a host name or "local");
// whether the name is registered is the user's host list's business, so the caller
// passes the names it knows. Placing guests on other hosts is not applied yet: without
// the caller saying otherwise, a guest for another host is an error at its line, so
// `nova plan` and `nova up` never create it here instead.
import { closestMatch } from './did-you-mean.js';
import { isTable, type NovaFileProblem } from './novafile-references.js';
import { LOCAL_HOST, parseHostName } from '../../../src-shared/vocabulary/index.js';

export interface HostCheckOptions {
  /** The registered host names; undefined: only the syntax is checked. */
  knownHosts?: readonly string[];
  /** A guest on another host: a warning (`nova validate`) or an error (default: plan and up). */
  remoteGuests?: 'warn' | 'refuse';
}

const GUEST_GROUPS = ['vm', 'container', 'capsule'] as const;

export function checkGuestHosts(raw: Record<string, unknown>, opts: HostCheckOptions = {}): NovaFileProblem[] {
  const problems: NovaFileProblem[] = [];
  for (const group of GUEST_GROUPS) {
    const guests = raw[group];
    if (!isTable(guests)) continue;
    for (const [name, guest] of Object.entries(guests)) {
      const host = isTable(guest) ? guest.host : undefined;
      // Anything but a well-formed name is the schema's to report.
      if (typeof host !== 'string' || host === LOCAL_HOST || !parseHostName(host).ok) continue;
      const path = [group, name, 'host'];
      if (opts.knownHosts && !opts.knownHosts.includes(host)) {
        const near = closestMatch(host, opts.knownHosts);
        const hint = near ? `; did you mean "${near}"?` : opts.knownHosts.length ? ` (registered: ${opts.knownHosts.join(', ')})` : '; no hosts are registered';
        problems.push({ path, at: 'value', message: `host "${host}" is not registered${hint}; add it with "nova host add ${host} ssh://..."` });
      } else if (opts.remoteGuests === 'warn') {
        problems.push({ path, at: 'value', severity: 'warning', message: `${group} ${name} is for host "${host}": nova up does not place guests on other hosts yet and will refuse it` });
      } else {
        problems.push({ path, at: 'value', message: `${group} ${name} is for host "${host}": nova up does not place guests on other hosts yet; set host = "local" or manage it with nova --host ${host}` });
      }
    }
  }
  return problems;
}
