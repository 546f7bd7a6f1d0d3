// The Projects page's recently opened NovaFiles, kept in localStorage: only paths and
// the project names they declare (so a resource page can link to its project), never
// anything secret. A damaged entry is dropped rather than breaking the page.
export interface RecentProject {
  readonly path: string;
  /** The project the file declared when last opened; null if it did not validate. */
  readonly project: string | null;
}

export const RECENT_PROJECTS_KEY = 'nova.recentProjects';
const MAX_RECENT = 8;

export function parseRecent(raw: string | null): RecentProject[] {
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is RecentProject => typeof v === 'object' && v !== null && typeof (v as RecentProject).path === 'string' && (typeof (v as RecentProject).project === 'string' || (v as RecentProject).project === null))
    .map((v) => ({ path: v.path, project: v.project }))
    .slice(0, MAX_RECENT);
}

/** The path moves to the front; its project name is updated. */
export function rememberProject(list: readonly RecentProject[], entry: RecentProject): RecentProject[] {
  return [entry, ...list.filter((r) => r.path !== entry.path)].slice(0, MAX_RECENT);
}

/** The most recently opened file that declared this project, or null. */
export function pathOfProject(list: readonly RecentProject[], project: string): string | null {
  return list.find((r) => r.project === project)?.path ?? null;
}

export function projectHref(path: string | null): string {
  return path ? `#/projects?path=${encodeURIComponent(path)}` : '#/projects';
}

/** The path in `#/projects?path=...`, or null. */
export function projectPathFromHash(hash: string): string | null {
  const q = hash.indexOf('?');
  if (q < 0) return null;
  const value = new URLSearchParams(hash.slice(q + 1)).get('path');
  return value && value.startsWith('/') ? value : null;
}

export function loadRecent(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): RecentProject[] {
  try {
    return parseRecent(storage?.getItem(RECENT_PROJECTS_KEY) ?? null);
  } catch {
    return [];
  }
}

export function saveRecent(list: readonly RecentProject[], storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(RECENT_PROJECTS_KEY, JSON.stringify(list));
  } catch {
    // Storage full or disabled: the list is a convenience only.
  }
}
