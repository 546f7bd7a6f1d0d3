// Where on the Networks page we are, from the URL hash: the list (#/networks), the
// topology (#/networks?view=topology) or one network (#/networks/NAME). A query rather
// than a path segment for the topology, since "topology" is a valid network name.
import type { Attachment } from '../../../src-shared/network.js';

export type NetworksView = { readonly view: 'list' } | { readonly view: 'topology' } | { readonly view: 'detail'; readonly name: string };

export function networksViewFromHash(hash: string): NetworksView {
  const match = /^#\/?networks(?:\/([^?]*))?(?:\?(.*))?$/.exec(hash);
  if (!match) return { view: 'list' };
  const [, name, query] = match;
  if (name) return { view: 'detail', name: decodeURIComponent(name) };
  return new URLSearchParams(query ?? '').get('view') === 'topology' ? { view: 'topology' } : { view: 'list' };
}

export const networksListHref = (): string => '#/networks';
export const networkTopologyHref = (): string => '#/networks?view=topology';
export const networkDetailHref = (name: string): string => `#/networks/${encodeURIComponent(name)}`;

/** A tap is a VM's NIC, a veth a capsule's: their pages, by the resource's name. */
export function attachmentResourceHref(a: Pick<Attachment, 'kind' | 'resource'>): string {
  return a.kind === 'tap' ? `#/vms/${encodeURIComponent(a.resource)}` : `#/capsules/${encodeURIComponent(a.resource)}`;
}
