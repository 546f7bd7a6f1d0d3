// The `serial` probe of VMs: a line of the serial console log (QEMU's logfile=, made afresh
// at each start) matching the check's regular expression. The log is read on from where
// the last check stopped; once a line matched in this run, the check passes. It is opened
// as every file the helper reads for a caller: inside its root, following no link, a
// regular file only, since a matched line is shown to whoever may view the VM.
import { openConfined } from '../safe-fs/confined-open.js';
import type { Probe } from './health-monitor.js';

/** What one check reads at most: a guest flooding its console costs bounded work per check. */
const MAX_READ_BYTES = 1024 * 1024;
/** A line longer than this is judged on its first part. */
const MAX_LINE_CHARS = 4096;

/** Finds the first line matching `pattern` in text fed in pieces (the pattern compiled once). */
export class SerialMatcher {
  private readonly pattern: RegExp;
  private partial = '';
  private matchedLine: string | null = null;

  constructor(pattern: string) {
    this.pattern = new RegExp(pattern);
  }

  get matched(): string | null {
    return this.matchedLine;
  }

  /**
   * Feeds more console output; true once a whole line matched. An unfinished line waits for
   * its end: "ready 4" of "ready 42" must not pass /^ready 4$/ because a check came early.
   */
  feed(text: string): boolean {
    if (this.matchedLine !== null) return true;
    const lines = (this.partial + text).split(/\r?\n/);
    this.partial = (lines.pop() ?? '').slice(-MAX_LINE_CHARS);
    for (const raw of lines) {
      const line = raw.replace(/\r/g, '').slice(0, MAX_LINE_CHARS);
      if (this.pattern.test(line)) {
        this.matchedLine = line;
        return true;
      }
    }
    return false;
  }
}

/** `root`: the folder the log must lie in (the VMs' folder). */
export function serialProbe(root: string, logPath: string, pattern: string): Probe {
  const matcher = new SerialMatcher(pattern);
  let offset = 0;
  return async () => {
    if (matcher.matched === null) {
      const file = await openConfined(root, logPath, { what: 'the serial log' }).then(
        (r) => r.handle,
        () => null,
      );
      if (file) {
        try {
          const buf = Buffer.alloc(MAX_READ_BYTES);
          const { bytesRead } = await file.read(buf, 0, MAX_READ_BYTES, offset);
          offset += bytesRead;
          matcher.feed(buf.subarray(0, bytesRead).toString('utf8'));
        } finally {
          await file.close();
        }
      }
    }
    const line = matcher.matched;
    if (line !== null) return { ok: true, line: `serial console: "${line.trim()}"` };
    return { ok: false, line: `no line matching /${pattern}/ on the serial console since the start` };
  };
}
