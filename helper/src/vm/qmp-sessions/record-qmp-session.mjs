#!/usr/bin/env node
// Records one QMP conversation with this machine's QEMU into qemu-session.jsonl beside
// this script: every line QEMU sent and every line we sent, in order, so the QMP client's
// tests replay what a real QEMU says (greeting, replies, errors, events) instead of what
// we believe it says. Re-record after a QEMU upgrade:
//   node helper/src/vm/qmp-sessions/record-qmp-session.mjs
// QEMU runs with no guest, no disk and no display (`-machine none`), so this needs no
// image, no KVM and no root.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OUT = join(import.meta.dirname, 'qemu-session.jsonl');
// What Nova sends in its life with a VM, plus commands that fail in each of QEMU's ways.
const SCRIPT = [
  { execute: 'qmp_capabilities' },
  { execute: 'query-status' },
  { execute: 'stop' },
  { execute: 'query-status' },
  { execute: 'cont' },
  { execute: 'query-blockstats' },
  { execute: 'query-jobs' },
  { execute: 'set_password', arguments: { protocol: 'vnc', password: 'x' } },
  { execute: 'nova-no-such-command' },
  { execute: 'device_del', arguments: { id: 'nova-no-such-device' } },
  { execute: 'job-dismiss', arguments: { id: 'nova-no-such-job' } },
  { execute: 'query-status', arguments: { unexpected: 1 } },
  { execute: 'system_reset' },
  { execute: 'quit' },
];

const dir = mkdtempSync(join(tmpdir(), 'nova-qmp-record-'));
const sock = join(dir, 'qmp.sock');
const qemu = spawn('qemu-system-x86_64', ['-machine', 'none', '-nodefaults', '-display', 'none', '-S', '-qmp', `unix:${sock},server=on,wait=on`], { stdio: ['ignore', 'ignore', 'inherit'] });
const deadline = setTimeout(() => fail('QEMU did not finish the session within 20 s'), 20_000);

function fail(message) {
  console.error(message);
  qemu.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}

async function connect() {
  for (let i = 0; i < 200; i++) {
    const s = await new Promise((resolve) => {
      const c = createConnection(sock);
      c.once('connect', () => resolve(c));
      c.once('error', () => resolve(null));
    });
    if (s) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  fail(`no QMP socket at ${sock}`);
}

const socket = await connect();
const transcript = [];
let buffer = '';
let waiting = null;
socket.setEncoding('utf8');
socket.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
    const line = buffer.slice(0, nl).replace(/\r$/, '');
    buffer = buffer.slice(nl + 1);
    transcript.push({ from: 'qemu', line });
    const msg = JSON.parse(line);
    if (waiting && ('QMP' in msg || 'return' in msg || 'error' in msg)) waiting();
  }
});
const reply = () => new Promise((resolve) => (waiting = resolve));

await reply(); // the greeting
let n = 0;
for (const command of SCRIPT) {
  const line = JSON.stringify({ ...command, id: `nova-${++n}` });
  transcript.push({ from: 'nova', line });
  const answered = reply();
  socket.write(line + '\n');
  await answered;
}
await new Promise((resolve) => socket.once('close', resolve));
clearTimeout(deadline);
await new Promise((resolve) => (qemu.exitCode !== null ? resolve() : qemu.once('exit', resolve)));
rmSync(dir, { recursive: true, force: true });
writeFileSync(OUT, transcript.map((t) => JSON.stringify(t)).join('\n') + '\n');
console.log(`recorded ${transcript.length} lines to ${OUT}`);
