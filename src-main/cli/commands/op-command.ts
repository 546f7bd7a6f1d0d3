// `nova op ls|show|cancel`: the helper's running and recent operations (imports, pulls,
// clones, snapshots, starts), whoever started them, from the CLI, the app or a NovaFile.
// A cancel asks the helper to stop the work and remove what it made; --wait sees it end.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import { OperationIdSchema, ResourceKindSchema, isOperationFinished, type Operation, type ResourceRef } from '../../../src-shared/operation.js';
import type { HelperClient } from '../../core/helper-client.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { formatOperationDetails, formatOperationTable, formatState, type UserName } from '../operation-format.js';

/** `image/base`, `vm/web1`: a resource as operations name it. */
export function parseResourceRef(text: string): ResourceRef {
  const slash = text.indexOf('/');
  const kind = ResourceKindSchema.safeParse(text.slice(0, slash));
  const name = text.slice(slash + 1);
  if (slash <= 0 || !kind.success || name === '') {
    throw new InvalidArgumentError(`"${text}" is not KIND/NAME, with KIND one of ${ResourceKindSchema.options.join(', ')}`);
  }
  return { kind: kind.data, name };
}

function operationId(text: string): string {
  if (!OperationIdSchema.safeParse(text).success) throw new InvalidArgumentError(`"${text}" is not an operation id (see nova op ls)`);
  return text;
}

/** User names from /etc/passwd, read once; an unreadable file leaves plain uids. */
export function passwdUserNames(read: () => string = () => readFileSync('/etc/passwd', 'utf8')): UserName {
  let names: Map<number, string> | null = null;
  return (uid) => {
    if (!names) {
      names = new Map();
      try {
        for (const line of read().split('\n')) {
          const [name, , id] = line.split(':');
          if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
        }
      } catch {
        // Names are a courtesy: the uid says the same.
      }
    }
    return names.get(uid) ?? null;
  };
}

export interface OpCommandDeps {
  now?: () => number;
  userName?: UserName;
  /** How long `cancel --wait` waits for the operation to end. */
  waitMs?: number;
}

export function registerOpCommand(program: Command, ctx: CliContext, deps: OpCommandDeps = {}): void {
  const now = deps.now ?? Date.now;
  const userName = deps.userName ?? passwdUserNames();
  const json = (o: { json?: boolean }) => o.json === true || ctx.globals().json;
  const out = (text: string) => ctx.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const helper = <T>(work: (h: HelperClient) => Promise<T>) => withHelper(ctx, work);

  const op = program.command('op').description('Operations: long actions under way and recently finished (imports, pulls, clones, snapshots)');
  op.command('ls')
    .description('List running and recent operations, newest first')
    .option('--running', 'only those under way', false)
    .option('--resource <kind/name>', 'only those of one resource, e.g. vm/web1 or image/base', parseResourceRef)
    .option('--json', 'machine-readable output')
    .action(async (o: { running: boolean; resource?: ResourceRef; json?: boolean }) => {
      const { operations } = await helper((h) =>
        h.call('operation.list', { state: o.running ? 'running' : 'all', ...(o.resource ? { resource: o.resource } : {}) }),
      );
      out(json(o) ? JSON.stringify(operations, null, 2) : formatOperationTable(operations, now(), userName));
    });
  op.command('show')
    .argument('<id>', 'the operation id (nova op ls lists them)', operationId)
    .description('One operation: what it does, how far it is, who started it, how it ended')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      const found = await helper((h) => h.call('operation.get', { id }));
      out(json(o) ? JSON.stringify(found, null, 2) : formatOperationDetails(found, now(), userName));
    });
  op.command('cancel')
    .argument('<id>', 'the operation id (nova op ls lists them)', operationId)
    .description('Cancel an operation: the helper stops its work and removes what it made')
    .option('--wait', 'wait until it has ended and say how', false)
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { wait: boolean; json?: boolean }) => {
      const ended = await helper(async (h) => {
        // Listening before asking: the end cannot slip between the answer and the subscription.
        const finished = o.wait ? waitForEnd(h, id, deps.waitMs ?? 10 * 60_000) : null;
        finished?.promise.catch(() => undefined);
        try {
          const asked = await h.call('operation.cancel', { id });
          return finished ? await finished.promise : asked;
        } finally {
          finished?.stop();
        }
      });
      if (json(o)) return out(JSON.stringify(ended, null, 2));
      if (!o.wait) return out(`cancelling ${ended.id} (${ended.title})${ended.cancellable ? '' : '; it stops after the step under way'}`);
      out(`${ended.id} (${ended.title}): ${formatState(ended)}`);
      if (ended.state !== 'cancelled') {
        throw new NovaError('failed_precondition', `Operation ${ended.id} ended ${ended.state} before the cancel took effect`);
      }
    });
}

/** Resolves with the operation once an event says it has ended; bounded by `waitMs`. */
function waitForEnd(h: HelperClient, id: string, waitMs: number): { promise: Promise<Operation>; stop: () => void } {
  let off: () => void = () => undefined;
  let timer: NodeJS.Timeout | null = null;
  const promise = new Promise<Operation>((resolve, reject) => {
    off = h.onEvent((e) => {
      if (e.name === 'operation.changed' && e.payload.id === id && isOperationFinished(e.payload)) resolve(e.payload);
    });
    timer = setTimeout(() => reject(new NovaError('timeout', `Operation ${id} had not ended ${Math.round(waitMs / 1000)} s after the cancel (see nova op show ${id})`)), waitMs);
  });
  return {
    promise,
    stop: () => {
      off();
      if (timer) clearTimeout(timer);
    },
  };
}
