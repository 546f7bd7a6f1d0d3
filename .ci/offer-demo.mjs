// The quick start's first-run offer: on a host with no VM, capsule or network yet, offer
// the demo project (examples/hello). On a terminal it asks; without one (CI, a script)
// it prints how to start it and goes on. NOVA_NO_DEMO=1 skips the question.
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline/promises';

const CLI = 'out/cli/nova.mjs';
const DEMO = 'examples/hello/NovaFile.toml';
const HOW = `nova up -f ${DEMO}`;

/** How many of a kind the helper has, or null when it cannot be asked. */
function count(kind, key) {
  const r = spawnSync(process.execPath, [CLI, '--json', kind, 'ls'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return null;
  try {
    const parsed = JSON.parse(r.stdout);
    const list = Array.isArray(parsed) ? parsed : parsed[key];
    return Array.isArray(list) ? list.length : null;
  } catch {
    return null;
  }
}

if (process.env.NOVA_NO_DEMO !== '1') {
  const counts = [count('vm', 'vms'), count('capsule', 'capsules'), count('net', 'networks')];
  if (counts.every((n) => n === 0)) {
    const what = 'a tiny VM, a capsule serving a web page and a NAT network; about a minute the first time, as its kernel and image are made from Debian packages';
    if (process.stdin.isTTY && process.stdout.isTTY) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = (await rl.question(`No VMs, capsules or networks yet. Start the demo (${what})? [Y/n] `)).trim().toLowerCase();
      rl.close();
      if (answer === '' || answer === 'y' || answer === 'yes') {
        const up = spawnSync(process.execPath, [CLI, 'up', '-f', DEMO, '--yes'], { stdio: 'inherit' });
        if (up.status !== 0) console.log(`The demo did not come up; the lines above say why. Try again with: ${HOW}`);
      } else {
        console.log(`Start it any time with: ${HOW}`);
      }
    } else {
      console.log(`No VMs, capsules or networks yet. To start the demo (${what}): ${HOW}`);
    }
  }
}
