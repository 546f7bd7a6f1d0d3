// The packaging sources, checked without building: the electron-builder configuration
// kept for machines that can download Electron (the fields the desktop needs, every
// file it names), and what the Debian package installs for the desktop (a menu entry
// that runs a program the package ships, valid metainfo, maintainer scripts sh accepts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const repo = join(here, '../..');

interface BuilderConfig {
  appId: string;
  productName: string;
  extraMetadata?: { name?: string };
  files: string[];
  extraResources: Array<{ from: string; to: string; filter?: string[] }>;
  electronFuses: Record<string, boolean>;
  linux: {
    target: string[];
    executableName: string;
    syncDesktopName: boolean;
    icon: string;
    desktop?: { entry?: Record<string, string> };
  };
  deb: { depends: string[]; afterInstall: string; afterRemove: string };
}

const config = JSON.parse(readFileSync(join(here, 'electron-builder.json'), 'utf8')) as BuilderConfig;
const scripts = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const afterInstall = readFileSync(join(repo, config.deb.afterInstall), 'utf8');

describe('the electron-builder configuration', () => {
  it('builds an AppImage and a deb whose desktop identity is the one Nova uses everywhere', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.linux.syncDesktopName).toBe(true);
    expect(config.appId).toBe('org.nova.Nova');
    expect(existsSync(join(repo, `resources/${config.appId}.desktop`))).toBe(true);
    expect(readFileSync(join(repo, 'resources/org.nova.Nova.metainfo.xml'), 'utf8')).toContain(`<id>${config.appId}</id>`);
    // The deb must not take the name of the dpkg-deb package it depends on.
    expect(config.extraMetadata?.name).toBe('nova-desktop');
    expect(config.deb.depends[0]).toMatch(/^nova \(>= [\d.]+\)$/);
  });

  it('turns off the fuses that would make the app a general Node interpreter or debugger', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
  });

  it('lets electron-builder write the desktop entry for the executable it builds, and links that name onto the PATH', () => {
    expect(config.linux.executableName).toBe('nova-desktop');
    expect(config.linux.desktop?.entry?.Exec).toBeUndefined();
    expect(afterInstall).toContain("APP_BIN=\"$APP_DIR/${executable}\"");
    expect(afterInstall).toContain("ln -sf \"$APP_BIN\" '/usr/bin/${executable}'");
    expect(readFileSync(join(repo, config.deb.afterRemove), 'utf8')).toContain("rm -f '/usr/bin/${executable}'");
  });

  it('installs an AppArmor profile for the user-namespace restriction, attached to the installed binary', () => {
    const shipped = config.extraResources.find((r) => r.to === 'apparmor/nova-desktop');
    expect(shipped).toBeDefined();
    expect(afterInstall).toContain('"$APP_DIR/resources/apparmor/nova-desktop"');
    expect(afterInstall).toContain('/sys/kernel/security/apparmor/features/namespaces/userns_create');
    const profile = readFileSync(join(repo, shipped!.from), 'utf8');
    expect(profile).toMatch(new RegExp(`^profile nova-desktop /opt/${config.productName}/${config.linux.executableName} flags=\\(unconfined\\) \\{$`, 'm'));
    expect(profile).toMatch(/^\s+userns,$/m);
    expect(profile).toMatch(/^abi <abi\/4\.0>,$/m);
  });

  it('names only files that exist, or that its npm script builds first', () => {
    for (const r of config.extraResources) expect({ from: r.from, exists: existsSync(join(repo, r.from)) }).toEqual({ from: r.from, exists: true });
    for (const script of [config.deb.afterInstall, config.deb.afterRemove]) expect({ script, exists: existsSync(join(repo, script)) }).toEqual({ script, exists: true });
    const tray = config.extraResources.find((r) => r.to === 'icons');
    for (const f of tray?.filter ?? []) expect(existsSync(join(repo, tray!.from, f))).toBe(true);
    // Build outputs: the bundles and the icons come from the steps of `npm run package:desktop`.
    expect(scripts['package:desktop']).toContain('npm run build');
    expect(scripts['package:desktop']).toContain(`render-icons.mjs ${config.linux.icon}`);
    expect(scripts['package:desktop']).toContain('--config resources/packaging/electron-builder.json');
    for (const pattern of config.files.filter((f) => f.startsWith('out/'))) expect(pattern).toMatch(/^out\/(main|preload|renderer)\/\*\*$/);
  });

  it('keeps its install scripts valid sh', () => {
    for (const script of [config.deb.afterInstall, config.deb.afterRemove]) {
      const r = spawnSync('sh', ['-n', join(repo, script)], { encoding: 'utf8' });
      expect({ script, stderr: r.stderr, status: r.status }).toEqual({ script, stderr: '', status: 0 });
    }
  });
});

describe('the Debian package sources', () => {
  it('has a menu entry that runs nova, which the package installs as /usr/bin/nova, with web mode in the browser', () => {
    const entry = readFileSync(join(repo, 'resources/org.nova.Nova.desktop'), 'utf8');
    expect(/^Exec=(.*)$/m.exec(entry)?.[1]).toBe('nova web --open');
    expect(readFileSync(join(here, 'build-deb.mjs'), 'utf8')).toContain("put(join(HERE, 'nova'), 'usr/bin/nova', 0o755);");
    expect(readFileSync(join(here, 'nova'), 'utf8')).toContain('exec /usr/bin/node /usr/lib/nova/cli/nova.mjs "$@"');
    expect(/^Icon=(.*)$/m.exec(entry)?.[1]).toBe('org.nova.Nova');
  });

  it('has AppStream metainfo that appstreamcli accepts', () => {
    const r = spawnSync('appstreamcli', ['validate', '--no-net', join(repo, 'resources/org.nova.Nova.metainfo.xml')], { encoding: 'utf8' });
    expect(r.error, 'appstreamcli missing: run .ci/bootstrap').toBeUndefined();
    expect(r.status, r.stdout).toBe(0);
  });

  it('keeps its maintainer scripts valid sh, touching systemd only where it runs', () => {
    for (const name of ['postinst', 'prerm', 'postrm']) {
      const r = spawnSync('sh', ['-n', join(here, 'debian', name)], { encoding: 'utf8' });
      expect({ name, status: r.status, stderr: r.stderr }).toEqual({ name, status: 0, stderr: '' });
      const source = readFileSync(join(here, 'debian', name), 'utf8');
      for (const line of source.split('\n').filter((l) => /\b(systemctl|deb-systemd-invoke)\b/.test(l))) {
        const before = source.slice(0, source.indexOf(line));
        expect({ name, line, guarded: before.lastIndexOf('if [ -d /run/systemd/system ]') > before.lastIndexOf('\nfi') }).toEqual({ name, line, guarded: true });
      }
    }
  });

  it('creates the nova group only when missing, and never removes it', () => {
    expect(readFileSync(join(here, 'debian/postinst'), 'utf8')).toMatch(/if ! getent group nova >\/dev\/null; then\n\s+addgroup --quiet --system nova/);
    expect(readFileSync(join(here, 'debian/postrm'), 'utf8')).not.toMatch(/(delgroup|groupdel)/);
  });
});
