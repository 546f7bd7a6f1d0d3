// `nova web --open` (the installed desktop entry): hands the UI's URL to the user's
// browser through a redirect file only its owner can read, as Jupyter does, so the
// token never sits in a command line that every local user can list in /proc.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BrowserOpenDeps {
  /** Where the private folder for the redirect file goes ($XDG_RUNTIME_DIR when set). */
  baseDir: string;
  /** Starts the desktop's URL opener; resolves false when it could not be run. */
  launch: (argv: string[]) => Promise<boolean>;
}

export interface OpenedPage {
  /** What the browser was given: a file:// URL of the redirect page. */
  opened: string;
  launched: boolean;
  /** Removes the redirect file; the browser has long read it by then. */
  dispose: () => void;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function redirectPage(url: string): string {
  const safe = escapeHtml(url);
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${safe}"><title>Nova</title></head>\n<body><a href="${safe}">Open Nova</a></body></html>\n`;
}

export async function openInBrowser(url: string, deps: BrowserOpenDeps = realBrowserOpenDeps()): Promise<OpenedPage> {
  // mkdtemp makes the folder 0700; the file is 0600 inside it.
  const dir = mkdtempSync(join(deps.baseDir, 'nova-web-'));
  const file = join(dir, 'open.html');
  writeFileSync(file, redirectPage(url), { mode: 0o600 });
  const opened = pathToFileURL(file).href;
  const launched = await deps.launch(['xdg-open', opened]);
  return { opened, launched, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function realBrowserOpenDeps(): BrowserOpenDeps {
  return {
    baseDir: process.env.XDG_RUNTIME_DIR || tmpdir(),
    launch: (argv) =>
      new Promise((resolve) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
        child.once('error', () => resolve(false));
        child.once('spawn', () => {
          child.unref();
          resolve(true);
        });
      }),
  };
}
