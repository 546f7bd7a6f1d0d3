// Where the app shows a resource: the URL hash of its page, for the renderer's links and
// for main, which opens the window there from a notification's "Open".
import type { ResourceRef } from './operation.js';

/** The page of a resource; null when the app has none of its own (a project is opened by its file). */
export function resourceHref(ref: ResourceRef): string | null {
  const name = encodeURIComponent(ref.name);
  switch (ref.kind) {
    case 'vm':
      return `#/vms/${name}`;
    case 'capsule':
      return `#/capsules/${name}`;
    case 'network':
      return `#/networks/${name}`;
    case 'image':
    case 'ociImage':
      return '#/images';
    case 'device':
      return '#/devices';
    case 'project':
      return null;
  }
}
