// The lint that keeps shells out of the helper (eslint.config.js): each way a shell could
// come back is refused, and ordinary argv spawns and RegExp#exec are not.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

async function shellFindings(code: string): Promise<number> {
  const [result] = await new ESLint({ cwd: REPO_ROOT }).lintText(code, { filePath: `${REPO_ROOT}/helper/src/process/lint-sample.ts` });
  return (result?.messages ?? []).filter((m) => m.message.includes('never runs a shell')).length;
}

describe('no shell in the helper', () => {
  it.each([
    ["import { exec } from 'node:child_process';", 1],
    ["import { execSync } from 'child_process';", 1],
    ["import * as cp from 'node:child_process'; cp.spawn('x', []);", 2],
    ["import { execaCommand } from 'execa'; void execaCommand;", 1],
    ["import { spawn } from 'node:child_process'; spawn('ls', [], { shell: true });", 1],
    ["import { spawn } from 'node:child_process'; spawn('ls', [], { shell: '/bin/sh' });", 1],
    ['declare const exec: (s: string) => void; exec("ls");', 1],
  ])('refuses %s', async (code, count) => {
    expect(await shellFindings(code)).toBe(count);
  });

  it.each([
    "import { spawn } from 'node:child_process'; spawn('ls', ['-l'], { shell: false });",
    "export const m = /a(b)/.exec('ab');",
    "import { execa } from 'execa'; void execa('ls', ['x; rm -rf /']);",
  ])('allows %s', async (code) => {
    expect(await shellFindings(code)).toBe(0);
  });
});
