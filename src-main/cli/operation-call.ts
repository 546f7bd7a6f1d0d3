// A CLI call that may start a helper operation: shows its progress on stderr (a bar on
// a terminal, a line per phase otherwise, JSON lines with --json) and turns Ctrl+C into
// operation.cancel, so the helper stops the work and removes what it made rather than
// finishing something nobody waits for. A second Ctrl+C leaves at once, and so does the
// first when the request started no operation (a quick action, or one not yet ported).
import { NovaError, isNovaError } from '../../src-shared/errors.js';
import type { HelperMethodName, ParamsIn, ResultOf } from '../../src-shared/api/nova-api.js';
import type { Operation } from '../../src-shared/operation.js';
import type { HelperClient } from '../core/helper-client.js';

export type ProgressStyle = 'bar' | 'lines' | 'json' | 'none';

export interface OperationCallOptions {
  /** Where progress goes (stderr: stdout keeps the command's answer). */
  write: (text: string) => void;
  style: ProgressStyle;
  /** Registers the interrupt handler and returns its removal; SIGINT by default. */
  onInterrupt?: (handler: () => void) => () => void;
  /** A second interrupt: leave now (the helper still cleans up). */
  exitNow?: () => void;
  /** After an interrupt, how long to wait for the helper to name an operation before leaving. */
  interruptGraceMs?: number;
}

/** Long enough for an operation that is about to start to be named (and then cancelled). */
const INTERRUPT_GRACE_MS = 1500;

const sigint = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
};

/** Picks the style for this process: a bar only when stderr is a terminal. */
export function progressStyleFor(json: boolean, stderrIsTerminal = process.stderr.isTTY === true): ProgressStyle {
  if (json) return 'json';
  return stderrIsTerminal ? 'bar' : 'lines';
}

export async function callOperation<M extends HelperMethodName>(
  h: Pick<HelperClient, 'call' | 'onEvent'>,
  method: M,
  params: ParamsIn<M>,
  opts: OperationCallOptions,
): Promise<ResultOf<M>> {
  const controller = new AbortController();
  const view = new ProgressView(opts.write, opts.style);
  let operationId: string | null = null;
  const offEvents = h.onEvent((e) => {
    if (e.name === 'operation.changed' && e.payload.id === operationId) view.show(e.payload);
  });
  const exitNow = opts.exitNow ?? (() => process.exit(130));
  let graceTimer: NodeJS.Timeout | null = null;
  const offInterrupt = (opts.onInterrupt ?? sigint)(() => {
    if (controller.signal.aborted) {
      view.end();
      opts.write('nova: leaving; the helper goes on cleaning up (see nova op ls)\n');
      exitNow();
      return;
    }
    view.note(operationId ? 'cancelling (Ctrl+C again to leave at once)…' : 'cancelling…');
    controller.abort();
    if (operationId) return;
    // No operation yet: one may be about to start (the client cancels it as soon as it is
    // named), or the request starts none, and then there is nothing to wait for.
    graceTimer = setTimeout(() => {
      if (operationId) return;
      opts.write('nova: interrupted; the request started no operation to cancel, so it may still complete (see nova op ls)\n');
      exitNow();
    }, opts.interruptGraceMs ?? INTERRUPT_GRACE_MS);
  });
  try {
    return await h.call(method, params, { signal: controller.signal, onOperation: (id) => (operationId = id) });
  } catch (err) {
    if (controller.signal.aborted && isNovaError(err, 'cancelled')) {
      throw new NovaError('cancelled', `${err.message}; cancelled at your request`, err.details);
    }
    throw err;
  } finally {
    if (graceTimer) clearTimeout(graceTimer);
    view.end();
    offInterrupt();
    offEvents();
  }
}

/** Renders an operation's progress in one of the styles; knows nothing of the helper. */
export class ProgressView {
  private lastPhase = '';
  private barShown = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly style: ProgressStyle,
    /** The terminal's width: a bar longer than the line would wrap, and \r would no longer redraw it. */
    private readonly columns: () => number = () => process.stderr.columns || 80,
  ) {}

  show(op: Operation): void {
    switch (this.style) {
      case 'none':
        return;
      case 'json':
        this.write(JSON.stringify({ operation: op }) + '\n');
        return;
      case 'lines':
        if (op.progress.phase !== this.lastPhase && op.state === 'running') this.write(`${op.title}: ${op.progress.phase}\n`);
        this.lastPhase = op.progress.phase;
        return;
      case 'bar':
        if (op.state !== 'running') return;
        this.write(`\r\x1b[K${fitLine(formatProgressLine(op), this.columns())}`);
        this.barShown = true;
        return;
    }
  }

  note(text: string): void {
    if (this.style === 'none' || this.style === 'json') return;
    this.end();
    this.write(`${text}\n`);
  }

  end(): void {
    if (this.barShown) this.write('\n');
    this.barShown = false;
  }
}

const BAR_WIDTH = 24;

/** "import of disk.raw: converting raw to qcow2  [#########...........] 42%  1.2 GiB of 3.0 GiB" */
export function formatProgressLine(op: Operation): string {
  return `${op.title}: ${formatProgress(op)}`;
}

/** The phase, a bar and percent when known, the bytes when known, and a cancel under way. */
export function formatProgress(op: Operation): string {
  const p = op.progress;
  const parts = [p.phase];
  if (p.fraction !== null) {
    const filled = Math.round(p.fraction * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(p.fraction * 100)}%`);
  }
  if (p.bytesDone !== null) parts.push(p.bytesTotal !== null ? `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : formatBytes(p.bytesDone));
  if (op.cancelRequested) parts.push(op.cancellable ? '(cancelling)' : '(cancelling after this step)');
  return parts.join('  ');
}

function fitLine(line: string, columns: number): string {
  return line.length < columns ? line : `${line.slice(0, Math.max(0, columns - 2))}…`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
