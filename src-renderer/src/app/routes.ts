// The sidebar's pages. Routes live in the URL hash so they work the same from
// Electron's file/app protocol and from web mode's server, and survive a reload.
import { Boxes, Cable, FolderTree, Globe, HardDrive, LayoutDashboard, Monitor, Network, Server, type LucideIcon } from 'lucide-react';

export type RouteId = 'dashboard' | 'host' | 'hosts' | 'projects' | 'vms' | 'capsules' | 'images' | 'networks' | 'devices';

export interface RouteDef {
  readonly id: RouteId;
  readonly label: string;
  readonly icon: LucideIcon;
  /** What the page will offer, for its "coming soon" placeholder. */
  readonly blurb: string;
  /** Not built yet: the sidebar tags it and the page says what is coming. */
  readonly soon?: true;
}

export const ROUTES: readonly RouteDef[] = [
  { id: 'dashboard', label: 'Dashboard', icon: LayoutDashboard, blurb: '' },
  { id: 'host', label: 'Host', icon: Server, blurb: '' },
  { id: 'hosts', label: 'Hosts', icon: Globe, blurb: 'This machine and the remote hosts reached over ssh.' },
  {
    id: 'projects',
    label: 'Projects',
    icon: FolderTree,
    blurb: 'NovaFile projects: their plan, apply and down, and the file itself.',
  },
  {
    id: 'vms',
    label: 'Virtual machines',
    icon: Monitor,
    blurb: 'Create, start and snapshot KVM/QEMU virtual machines, with live graphs and a console for each.',
  },
  {
    id: 'capsules',
    label: 'Capsules',
    icon: Boxes,
    blurb: 'Persistent OCI containers with their own network, started and stopped like small machines.',
  },
  {
    id: 'images',
    label: 'Images',
    icon: HardDrive,
    blurb: 'Disks, ISOs and kernels for virtual machines, and the OCI images capsules start from.',
  },
  {
    id: 'networks',
    label: 'Networks',
    icon: Network,
    blurb: 'Bridges, NAT and isolated networks with DHCP and DNS, and a map of what is attached to each.',
  },
  {
    id: 'devices',
    label: 'Devices',
    icon: Cable,
    blurb: 'PCI devices and their IOMMU groups, ready to hand a GPU or a NIC to a virtual machine with VFIO.',
  },
];

export const DEFAULT_ROUTE: RouteId = 'dashboard';

export function routeHref(id: RouteId): string {
  return `#/${id}`;
}

/** `#/vms` -> 'vms'; anything unknown falls back to the Dashboard, the app's home. */
export function routeFromHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return ROUTES.find((r) => r.id === id)?.id ?? DEFAULT_ROUTE;
}
