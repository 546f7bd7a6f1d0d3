// Capsule and OCI image handlers: thin adapters from validated contract params to the
// CapsuleManager and the ImageStore, plus the terminal sockets and the bounds that keep
// every answer inside one RPC frame (log pages, exec output). The caller (ctx) goes along
// to every change: it owns the operations it starts and is named in `locked` refusals.
import type { HelperMethodName } from '../../../src-shared/api/nova-api.js';
import {
  MAX_EXEC_OUTPUT_BYTES,
  MAX_LOG_PAGE_LINES,
  type CapsuleEvent,
  type CapsuleLogPage,
} from '../../../src-shared/api/capsule-api.js';
import type { CapsuleManager } from '../capsule/capsule-manager.js';
import type { LogQuery } from '../capsule/capsule-logs.js';
import type { ImageStore } from '../capsule/image-store.js';
import type { TerminalServer } from '../capsule/terminal-server.js';
import { callerOf, type PathGuard } from '../vm/path-guard.js';
import type { GuestMoveMethodName } from './guest-move-methods.js';
import type { HelperHandlers } from './handler-table.js';
import type { MetricsMethodName } from './metrics-methods.js';
import type { SnapshotPolicyMethodName } from './snapshot-policy-methods.js';

export type CapsuleMethodName = Exclude<Extract<HelperMethodName, `capsule.${string}` | `ociImage.${string}`>, MetricsMethodName | SnapshotPolicyMethodName | GuestMoveMethodName>;
export type CapsuleHandlers = Pick<HelperHandlers, CapsuleMethodName>;

export interface CapsuleMethodDeps {
  capsules: CapsuleManager;
  images: ImageStore;
  terminals: TerminalServer;
  /** Where files to import may come from (the helper's --allowed-root folders). */
  importPaths: PathGuard;
  emit?: (event: CapsuleEvent) => void;
  /** How often a waiting `capsule.logs` looks for new lines. */
  logPollMs?: number;
}

/** Cuts a stream at MAX_EXEC_OUTPUT_BYTES (on a character boundary). */
function cut(text: string): { text: string; cut: boolean } {
  if (Buffer.byteLength(text) <= MAX_EXEC_OUTPUT_BYTES) return { text, cut: false };
  const bytes = Buffer.from(text).subarray(0, MAX_EXEC_OUTPUT_BYTES);
  return { text: bytes.toString('utf8').replace(/\uFFFD$/, ''), cut: true };
}

/** At most MAX_LOG_PAGE_LINES lines; a cut page's cursor is its last line, so the next call continues. */
export function boundLogPage(page: CapsuleLogPage): CapsuleLogPage {
  if (page.lines.length <= MAX_LOG_PAGE_LINES) return page;
  const lines = page.lines.slice(0, MAX_LOG_PAGE_LINES);
  return { lines, cursor: lines[lines.length - 1]!.seq };
}

export function capsuleHandlers(deps: CapsuleMethodDeps): CapsuleHandlers {
  const { capsules, images } = deps;
  const imageChanged = (name: string) => deps.emit?.({ name: 'ociImage.changed', payload: { name } });
  const pollMs = deps.logPollMs ?? 200;

  return {
    'capsule.list': async () => ({ capsules: await capsules.list(), broken: capsules.broken() }),
    'capsule.get': async ({ name }) => capsules.get(name),
    'capsule.create': async (spec, ctx) => capsules.create(spec, ctx),
    'capsule.update': async (change, ctx) => capsules.update(change, ctx),
    'capsule.start': async ({ name }, ctx) => capsules.start(name, ctx),
    'capsule.stop': async ({ name, timeoutSec, force }, ctx) => capsules.stop(name, timeoutSec, ctx, force),
    'capsule.restart': async ({ name }, ctx) => capsules.restart(name, ctx),
    'capsule.pause': async ({ name }, ctx) => capsules.pause(name, ctx),
    'capsule.resume': async ({ name }, ctx) => capsules.resume(name, ctx),
    'capsule.delete': async ({ name, force }, ctx) => {
      await capsules.delete(name, force, ctx);
      return { ok: true as const };
    },
    'capsule.exec': async ({ name, command, env, cwd, timeoutSec }) => {
      const r = await capsules.exec(name, command, { env, cwd, timeoutMs: timeoutSec * 1000 });
      const stdout = cut(r.stdout);
      const stderr = cut(r.stderr);
      return { exitCode: r.exitCode, stdout: stdout.text, stderr: stderr.text, truncated: stdout.cut || stderr.cut };
    },
    'capsule.logs': async ({ name, since, afterSeq, tail, waitMs }) => {
      const q: LogQuery = {
        ...(since ? { since: new Date(since) } : {}),
        ...(afterSeq !== undefined ? { afterSeq } : {}),
        // A follow never skips lines; a first read shows the newest.
        ...(tail !== undefined && afterSeq === undefined ? { tail } : {}),
      };
      const deadline = Date.now() + (afterSeq !== undefined ? waitMs : 0);
      for (;;) {
        const page = await capsules.logs(name, q);
        if (page.lines.length > 0 || Date.now() >= deadline) return boundLogPage(page);
        await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
      }
    },
    'capsule.metrics': async ({ name }) => capsules.metrics(name),
    'capsule.snapshotCreate': async ({ name, snapshot, keepForever }, ctx) => capsules.snapshotCreate(name, snapshot, ctx, { keepForever }),
    'capsule.adopt': async ({ name, project }, ctx) => capsules.adopt(name, project, ctx),
    'capsule.snapshotList': async ({ name }) => ({ snapshots: await capsules.snapshotList(name) }),
    'capsule.snapshotRestore': async ({ name, snapshot }, ctx) => {
      await capsules.snapshotRestore(name, snapshot, ctx);
      return { ok: true as const };
    },
    'capsule.snapshotDelete': async ({ name, snapshot }, ctx) => {
      await capsules.snapshotDelete(name, snapshot, ctx);
      return { ok: true as const };
    },
    'capsule.terminalOpen': async ({ name, command, cols, rows }, { caller }) => {
      const session = await capsules.openTerminal(name, { command, cols, rows });
      const socketPath = await deps.terminals.serve(session, { uid: caller.uid, gid: caller.gid });
      return { socketPath, connectWithinMs: deps.terminals.connectWithinMs };
    },
    'ociImage.pull': async ({ reference, name, tlsVerify }, ctx) => {
      // Its progress is the operation's (operation.changed).
      const img = await images.pull(reference, { tlsVerify, ...(name ? { name } : {}) }, ctx);
      imageChanged(img.name);
      return img;
    },
    'ociImage.import': async ({ path, name }, ctx) => {
      // Opened once, confined and as the caller may read it; the import reads this descriptor only.
      const file = await deps.importPaths.open('The file to import', path, { caller: callerOf(ctx), purpose: 'import' });
      try {
        const img = await images.import(file, name, ctx);
        imageChanged(img.name);
        return img;
      } finally {
        await file.handle.close();
      }
    },
    'ociImage.list': async () => ({ images: await images.list() }),
    'ociImage.inspect': async ({ name }) => images.get(name),
    'ociImage.remove': async ({ name }, ctx) => {
      const img = await images.remove(name, ctx);
      imageChanged(img.name);
      return { id: img.id, name: img.name };
    },
  };
}
