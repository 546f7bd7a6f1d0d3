// A pull's progress while skopeo copies: which blob it is on (from the lines it prints as
// it starts each one) and how many bytes have landed in the image's OCI layout so far
// (skopeo prints no byte counts when it has no terminal), against the total the registry
// gave for the layers.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressUpdate } from '../operations/operation-manager.js';

const SAMPLE_MS = 250;

/** skopeo copy prints one line per blob as it starts copying it. */
export function parseSkopeoLine(line: string): 'blob' | 'config' | 'manifest' | null {
  if (/^Copying blob /.test(line)) return 'blob';
  if (/^Copying config /.test(line)) return 'config';
  if (/^Writing manifest/.test(line)) return 'manifest';
  return null;
}

/** The bytes of every file under `dir` (skopeo's blobs and the temp files it fills); a few levels deep. */
export async function bytesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await bytesUnder(path);
    else if (e.isFile()) total += await stat(path).then((s) => s.size, () => 0);
  }
  return total;
}

/** "copying blob 2 of 4" and the byte counts, as operation progress. */
export function pullPhase(blob: number, blobsTotal: number | null): string {
  return `copying blob ${blob}${blobsTotal === null ? '' : ` of ${blobsTotal}`}`;
}

export class PullMeter {
  private blob = 0;
  private bytesDone = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly layout: string,
    /** The layers and the config; null when the registry did not say. */
    private readonly blobsTotal: number | null,
    private readonly bytesTotal: number | null,
    private readonly report: (p: ProgressUpdate) => void,
  ) {
    this.report({ phase: 'copying blobs', ...this.counts() });
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
  }

  line(text: string): void {
    const kind = parseSkopeoLine(text);
    if (kind !== 'blob' && kind !== 'config') return;
    this.blob += 1;
    this.report({ phase: pullPhase(this.blob, this.blobsTotal), ...this.counts() });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The copy is done: the last count, which a copy quicker than one sample would miss. */
  async finish(): Promise<void> {
    this.stop();
    await this.sample();
  }

  private async sample(): Promise<void> {
    const bytes = await bytesUnder(this.layout);
    if (bytes === this.bytesDone) return;
    this.bytesDone = bytes;
    this.report(this.counts());
  }

  private counts(): Pick<ProgressUpdate, 'fraction' | 'bytesDone' | 'bytesTotal'> {
    const total = this.bytesTotal;
    // The layout also holds the config and manifests: never past the layers' total.
    const done = total === null ? this.bytesDone : Math.min(this.bytesDone, total);
    return { fraction: total ? done / total : null, bytesDone: done, bytesTotal: total };
  }
}
