// `npm start`: the desktop app where a display and Electron's binary exist, web mode
// otherwise (saying why), with the example project checked and shown.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

if (!existsSync('out/cli/nova.mjs') || !existsSync('out/renderer/index.html') || !existsSync('out/main/index.js')) {
  if (run('npm', ['run', 'build', '--silent']) !== 0) process.exit(1);
}

const display = process.env.WAYLAND_DISPLAY || process.env.DISPLAY;
const electron = 'node_modules/electron/dist/electron';
const example = 'examples/dev-lab/NovaFile.toml';

console.log(`Example project: ${example}`);
run(process.execPath, ['out/cli/nova.mjs', 'validate', example]);

let child;
if (display && existsSync(electron)) {
  console.log('Starting the Nova desktop app');
  child = spawn(electron, ['.'], { stdio: 'inherit' });
} else {
  const why = !display ? 'no display (neither WAYLAND_DISPLAY nor DISPLAY is set)' : "Electron's binary is not installed";
  console.log(`Starting Nova in web mode: ${why}. Open the URL below in a browser on this machine.`);
  const port = process.env.NOVA_WEB_PORT ?? '7420';
  child = spawn(process.execPath, ['out/cli/nova.mjs', 'web', '--port', port], { stdio: 'inherit' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
