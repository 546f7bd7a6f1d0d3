// `npm run package`: the Debian package of the CLI, web mode and helper on the system's
// Node, built offline with dpkg-deb from what `npm run build` left in out/. Electron's
// own packager (electron-builder.json beside this file) needs downloads; this does not.
// Layout: /usr/lib/nova mirrors out/ (cli/, helper/, renderer/), so the CLI finds the
// helper and the renderer beside it exactly as it does in a clone.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ICON_SIZES, ICON_SVG, renderIcon } from './render-icons.mjs';

const REPO = join(import.meta.dirname, '../..');
const HERE = import.meta.dirname;
const OUT = join(REPO, 'out/package');
const ROOT = join(OUT, 'root');
/** The npm packages whose code the bundles carry (renderer included), named in the copyright file. */
const BUNDLED = [
  'commander', 'execa', 'json-rpc-2.0', 'pino', 'smol-toml', 'ws', 'yaml', 'zod', 'node-pty',
  'react', 'react-dom', 'zustand', '@xterm/xterm', '@xterm/addon-fit', '@novnc/novnc',
  '@xyflow/react', '@dagrejs/dagre', 'recharts', 'lucide-react',
];

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const version = pkg.version;
const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();

function need(path, hint) {
  if (!existsSync(join(REPO, path))) throw new Error(`${path} is missing: ${hint}`);
}

/** Copies a file into the package tree with the mode Debian expects for it. */
function put(from, to, mode = 0o644) {
  const target = join(ROOT, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(from, target);
  chmodSync(target, mode);
}

function write(to, content, mode = 0o644) {
  const target = join(ROOT, to);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

/** Copies a tree, leaving out source maps and anything `skip` names. */
function putTree(from, to, skip = () => false) {
  cpSync(from, join(ROOT, to), {
    recursive: true,
    filter: (src) => !src.endsWith('.map') && !skip(relative(from, src)),
  });
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Native addons: no debug symbols (lintian), and not executable (they are loaded, not run). */
function stripAddon(path) {
  execFileSync('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', path]);
  chmodSync(path, 0o644);
}

function gzipTo(to, content) {
  // Level 9 and no name or time in the header (gzip -9n), as Debian policy asks.
  write(to, gzipSync(content, { level: 9 }));
}

/** A license text as a DEP-5 paragraph body: indented, blank lines as " .". */
function dep5Text(text) {
  return text.trim().split('\n').map((l) => (l.trim() ? ` ${l.trimEnd()}` : ' .')).join('\n');
}

function licenseBody(name, dir) {
  if (existsSync(`/usr/share/common-licenses/${name}`)) return dep5Text(`On Debian systems, the complete text of this license can be found in "/usr/share/common-licenses/${name}".`);
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`no license file in ${dir}`);
  // The copyright holders are named per package above; the paragraph keeps the terms.
  const terms = readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => !/^\s*(\(c\)|copyright)/i.test(l));
  return dep5Text(terms.join('\n').replace(/\n\s*\n(\s*\n)+/g, '\n\n'));
}

function copyrightFile() {
  const bundled = BUNDLED.map((name) => {
    const dir = join(REPO, 'node_modules', name);
    const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return { name, dir, version: meta.version, license: meta.license };
  });
  const licenses = [...new Map(bundled.map((b) => [b.license, b])).values()];
  const paragraphs = [
    'Files: usr/lib/nova/cli/* usr/lib/nova/helper/*.mjs usr/lib/nova/renderer/* usr/lib/nova/node_modules/*',
    'Copyright: 2026 Nova maintainers, and the authors of each npm package bundled there',
    `License: GPL-3+ and ${licenses.map((b) => b.license).join(' and ')}`,
    'Comment: Nova\'s code bundled with these npm packages, each under its own license:',
    ...bundled.map((b) => ` ${b.name} ${b.version} (${b.license})`),
    '',
    ...licenses.flatMap((b) => [`License: ${b.license}`, licenseBody(b.license, b.dir), '']),
  ];
  return readFileSync(join(HERE, 'debian/copyright.in'), 'utf8').replace('@BUNDLED@\n', paragraphs.join('\n'));
}

function iconFiles() {
  put(ICON_SVG, 'usr/share/icons/hicolor/scalable/apps/org.nova.Nova.svg');
  for (const size of ICON_SIZES) renderIcon(size, join(ROOT, `usr/share/icons/hicolor/${size}x${size}/apps/org.nova.Nova.png`));
}

function nodePty() {
  // What node-pty loads at run time on Linux: its compiled JavaScript and the addon.
  const from = join(REPO, 'node_modules/node-pty');
  const to = 'usr/lib/nova/node_modules/node-pty';
  put(join(from, 'package.json'), `${to}/package.json`);
  putTree(join(from, 'lib'), `${to}/lib`, (rel) => /(^|\/)windows|conpty|\.test\.js$|testUtils/.test(rel));
  put(join(from, 'build/Release/pty.node'), `${to}/build/Release/pty.node`);
  stripAddon(join(ROOT, `${to}/build/Release/pty.node`));
}

/**
 * The C libraries the native addons link against, as dpkg-shlibdeps names them (it wants a
 * source package's debian/control to run in). Their N-API symbols come from Node itself.
 */
function sharedLibraryDepends(addons) {
  const work = join(OUT, 'shlibdeps');
  mkdirSync(join(work, 'debian'), { recursive: true });
  writeFileSync(join(work, 'debian/control'), 'Source: nova\n\nPackage: nova\nArchitecture: any\n');
  const out = execFileSync('dpkg-shlibdeps', ['-O', ...addons.map((a) => `-e${a}`)], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  rmSync(work, { recursive: true, force: true });
  const depends = /^shlibs:Depends=(.*)$/m.exec(out)?.[1];
  if (!depends) throw new Error(`dpkg-shlibdeps named no libraries: ${out}`);
  return depends;
}

function controlFiles() {
  const debian = join(ROOT, 'DEBIAN');
  mkdirSync(debian, { recursive: true });
  const files = walk(ROOT).filter((f) => !f.startsWith(debian + '/'));
  const md5sums = files.map((f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(ROOT, f)}`).join('\n') + '\n';
  const installedKb = Math.ceil(files.reduce((sum, f) => sum + statSync(f).size, 0) / 1024);
  const control = readFileSync(join(HERE, 'debian/control'), 'utf8')
    .replace('@VERSION@', version)
    .replace('@ARCH@', arch)
    .replace('@SHLIBS@', sharedLibraryDepends(files.filter((f) => f.endsWith('.node'))))
    .replace('@INSTALLED_SIZE@', String(installedKb));
  write('DEBIAN/control', control);
  write('DEBIAN/md5sums', md5sums);
  for (const script of ['postinst', 'prerm', 'postrm']) put(join(HERE, 'debian', script), `DEBIAN/${script}`, 0o755);
}

need('out/cli/nova.mjs', 'run "npm run build" first');
need('out/helper/nova-helper.mjs', 'run "npm run build" first');
need('out/renderer/index.html', 'run "npm run build" first');
need('node_modules/node-pty/build/Release/pty.node', 'run "npm install" (it builds node-pty)');

// Directories 0755 and files 0644 whatever the builder's umask.
process.umask(0o022);
rmSync(OUT, { recursive: true, force: true });
mkdirSync(ROOT, { recursive: true, mode: 0o755 });

put(join(HERE, 'nova'), 'usr/bin/nova', 0o755);
put(join(REPO, 'resources/nova-helper'), 'usr/libexec/nova/nova-helper', 0o755);
// /usr/bin/nova runs it with /usr/bin/node: the bundle's own `#!/usr/bin/env node` goes.
write('usr/lib/nova/cli/nova.mjs', readFileSync(join(REPO, 'out/cli/nova.mjs'), 'utf8').replace(/^#!.*\n/, ''));
for (const f of ['nova-helper.mjs', 'pty-host.mjs']) put(join(REPO, 'out/helper', f), `usr/lib/nova/helper/${f}`);
put(join(REPO, 'out/helper/nova-runtime-run'), 'usr/lib/nova/helper/nova-runtime-run', 0o755);
put(join(REPO, 'out/helper/peercred.node'), 'usr/lib/nova/helper/peercred.node');
stripAddon(join(ROOT, 'usr/lib/nova/helper/peercred.node'));
putTree(join(REPO, 'out/renderer'), 'usr/lib/nova/renderer');
nodePty();

put(join(REPO, 'resources/nova-helper.service'), 'lib/systemd/system/nova-helper.service');
put(join(REPO, 'resources/org.nova.policy'), 'usr/share/polkit-1/actions/org.nova.policy');
put(join(REPO, 'resources/50-nova.rules'), 'usr/share/polkit-1/rules.d/50-nova.rules');
put(join(REPO, 'resources/org.nova.Nova.desktop'), 'usr/share/applications/org.nova.Nova.desktop');
put(join(REPO, 'resources/org.nova.Nova.metainfo.xml'), 'usr/share/metainfo/org.nova.Nova.metainfo.xml');
// The example project the app offers on first start (src-main/core/assets/demo-location.ts looks here).
put(join(REPO, 'examples/hello/NovaFile.toml'), 'usr/share/nova/examples/hello/NovaFile.toml');
iconFiles();

gzipTo('usr/share/man/man1/nova.1.gz', readFileSync(join(HERE, 'nova.1')));
gzipTo('usr/share/doc/nova/changelog.gz', readFileSync(join(HERE, 'debian/changelog')));
write('usr/share/doc/nova/copyright', copyrightFile());

controlFiles();
const deb = join(OUT, `nova_${version}_${arch}.deb`);
// Files owned by root whoever builds; xz as Debian's own packages are.
execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', ROOT, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
process.stdout.write(`${relative(process.cwd(), deb) || deb}\n`);
