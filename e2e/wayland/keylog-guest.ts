// A test guest that reports every key its keyboard receives on the serial console, so a
// spec can tell which keys reached the guest through the VNC console: the cached test
// guest's initramfs with a second cpio archive appended whose /init replaces the shell
// with a reader of the keyboard's evdev device (the kernel unpacks both, later wins).
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { TestGuest } from '../../helper/system-tests/fixtures/guest-builder.js';

export const KEYLOG_READY = 'NOVA-KEYLOG-READY';
/** "NOVA-KEY <code> <value>": value 1 pressed, 0 released, 2 repeated. */
export const KEYLOG_LINE = /NOVA-KEY (\d+) (\d+)/g;

// struct input_event is 24 bytes on x86_64 (timeval 16, type 2, code 2, value 4): read one
// at a time with dd, as 12 unsigned shorts; $9 is the type (1 = EV_KEY), ${10} the code.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s
mount -t devtmpfs devtmpfs /dev
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
insmod /lib/modules/evdev.ko
kbd=$(awk '/^N:/ { k = /keyboard/ } /^H:/ && k { for (i = 1; i <= NF; i++) if ($i ~ /^event/) print $i }' /proc/bus/input/devices | head -n 1)
echo "${KEYLOG_READY} $kbd"
exec 3</dev/input/$kbd
while true; do
  set -- $(dd bs=24 count=1 <&3 2>/dev/null | od -An -v -tu2)
  [ "$9" = 1 ] && echo "NOVA-KEY \${10} \${11}"
done
`;

/** Writes the key-logging initramfs into `dir` (a folder the helper may read) and returns its path. */
export async function keylogInitramfs(guest: TestGuest, dir: string): Promise<string> {
  const root = join(dir, 'keylog-root');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'init'), INIT, { mode: 0o755 });
  const overlay = join(dir, 'keylog-overlay.cpio');
  await execa('cpio', ['-o', '-H', 'newc', '-R', '0:0', '--quiet'], { cwd: root, input: 'init\n', stdout: { file: overlay }, timeout: 30_000 });
  const target = join(dir, 'initramfs-keylog.cpio');
  await copyFile(guest.initrdAcpi, target);
  await writeFile(target, await readFile(overlay), { flag: 'a' });
  return target;
}

/** The keys (code and value) a serial log reports, in order. */
export function loggedKeys(serialLog: string): Array<{ code: number; value: number }> {
  return [...serialLog.matchAll(KEYLOG_LINE)].map((m) => ({ code: Number(m[1]), value: Number(m[2]) }));
}
