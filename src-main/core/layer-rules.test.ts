// The layer fence is only worth having if lint really refuses a crossing: feed
// ESLint one forbidden import per layer and expect each to be reported.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function problemsFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['src-renderer/src/x.ts', "import { readFile } from 'node:fs';"],
    ['src-renderer/src/x.ts', "import { ipcRenderer } from 'electron';"],
    ['src-renderer/src/x.ts', "import { RpcServer } from '../../helper/src/rpc/rpc-server.js';"],
    ['src-renderer/src/x.ts', "import { HelperClient } from '../../src-main/core/helper-client.js';"],
    ['helper/src/x.ts', "import { app } from 'electron';"],
    ['helper/src/x.ts', "import { App } from '../../src-renderer/src/app.js';"],
    ['src-main/core/x.ts', "import { BrowserWindow } from 'electron';"],
    ['src-main/cli/x.ts', "import { app } from 'electron';"],
    ['src-shared/x.ts', "import { join } from 'node:path';"],
    ['src-preload/x.ts', "import { readFileSync } from 'fs';"],
  ])('%s may not %s', async (file, code) => {
    expect(await problemsFor(file, `${code}\nexport {};\n`)).not.toEqual([]);
  });

  it('allows what each layer is meant to use', async () => {
    expect(await problemsFor('src-main/electron/x.ts', "import { app } from 'electron';\nexport {};\n")).toEqual([]);
    expect(await problemsFor('src-renderer/src/x.ts', "import { novaApi } from '../../src-shared/index.js';\nexport {};\n")).toEqual([]);
    expect(await problemsFor('helper/src/x.ts', "import { spawn } from 'node:child_process';\nexport {};\n")).toEqual([]);
  });
});
