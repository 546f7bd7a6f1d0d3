// Paths from callers (images, ISOs, kernels, archives to import), and the paths their
// disk headers name: each must lie inside an allowed folder, is opened there without
// following any link (safe-fs/confined-open.ts) and must be readable, or writable when
// it is to be written, by the caller who named it. What the helper then reads or hands on
// is the descriptor it checked, never the path again. The folders in `shared` (the image
// library) are Nova's own, offered to every caller allowed to manage VMs.
import { realpathSync, type Stats } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { Requester } from '../operations/operation-manager.js';
import { openConfined, rootOf, withAllowedFolders, type ConfinedKind } from '../safe-fs/confined-open.js';
import { blockedPath, type Credentials } from './run-as-user.js';

export interface GuardedFile {
  /** As the caller named it: inside a root, with no link on the way. */
  path: string;
  handle: FileHandle;
  stats: Stats;
}

export interface GuardOptions {
  /** The caller, when not root: the file must be theirs to read (or write). */
  caller?: Credentials | null;
  write?: boolean;
  /** Open it read-write (a disk QEMU gets as this very descriptor), not read-only. */
  openWritable?: boolean;
  kind?: ConfinedKind;
  /**
   * Why it is opened: an import's path errors say so in their details (`openedFor`), so a
   * surface does not advise widening the allowed folders, which only VM starts depend on.
   */
  purpose?: 'import';
}

/** The caller of a request as file permissions see them; null for root and for Nova's own work. */
export function callerOf(requester: Requester | null): Credentials | null {
  const caller = requester?.caller;
  if (!caller || caller.uid === 0) return null;
  return { uid: caller.uid, gid: 'gid' in caller && typeof caller.gid === 'number' ? caller.gid : caller.uid };
}

function realFolderOf(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

function withPurpose(err: unknown, purpose: GuardOptions['purpose']): unknown {
  if (!purpose || !(err instanceof NovaError) || typeof err.details !== 'object' || err.details === null) return err;
  return new NovaError(err.code, err.message, { ...err.details, openedFor: purpose });
}

export class PathGuard {
  readonly roots: string[];
  /** The roots as written and, where one is given through a link (/srv -> /data/srv), its real folder too. */
  private readonly spellings: string[];
  private readonly shared: string[];

  constructor(roots: string[], opts: { shared?: string[] } = {}) {
    this.roots = roots.map((r) => resolve(r));
    // Roots are the helper's own configuration, resolved once at start.
    this.spellings = [...new Set([...this.roots, ...this.roots.map(realFolderOf)])];
    this.shared = (opts.shared ?? []).map((r) => resolve(r));
  }

  /** Opens `path` for reading as `what` ("the image to import"); the caller closes the handle. */
  async open(what: string, path: string, opts: GuardOptions = {}): Promise<GuardedFile> {
    if (!isAbsolute(path)) throw new NovaError('invalid_argument', `${what} ${path}: give an absolute path`);
    const root = this.rootOf(what, path);
    const { handle, stats } = await openConfined(root, path, { what, kind: opts.kind ?? 'file', writable: opts.openWritable === true }).catch((err: unknown) => {
      throw withPurpose(withAllowedFolders(err, this.roots), opts.purpose);
    });
    try {
      await this.checkCaller(what, path, stats, opts);
      return { path: resolve(path), handle, stats };
    } catch (err) {
      await handle.close();
      throw withPurpose(err, opts.purpose);
    }
  }

  /** Checks an existing regular file the way `open` does, and returns its path (for files QEMU opens itself). */
  async existingFile(what: string, path: string, caller: Credentials | null = null): Promise<string> {
    const file = await this.open(what, path, { caller });
    await file.handle.close();
    return file.path;
  }

  /** The allowed folder holding `path`, by name only: nothing is opened or resolved yet. */
  rootOf(what: string, path: string): string {
    try {
      return rootOf(this.spellings, resolve(path), what);
    } catch {
      throw new NovaError('invalid_argument', `${what} ${path} is outside the allowed folders; allowed: ${this.roots.join(', ')}`, { path, allowedFolders: this.roots });
    }
  }

  /** The file's own rights come from what was opened, so a swap after the open cannot lend it another file's. */
  private async checkCaller(what: string, path: string, opened: Stats, opts: GuardOptions): Promise<void> {
    if (!opts.caller || this.isShared(path)) return;
    const full = resolve(path);
    const statOf = (p: string) => (p === full ? Promise.resolve(opened) : stat(p));
    const blocked = await blockedPath(full, opts.write ? 'rw' : 'r', opts.caller, false, statOf);
    if (blocked) throw new NovaError('not_authorized', `${what} ${path} is not open to uid ${opts.caller.uid}: ${blocked}`, { path });
  }

  private isShared(path: string): boolean {
    return this.shared.some((dir) => {
      const rel = relative(dir, resolve(path));
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    });
  }
}
