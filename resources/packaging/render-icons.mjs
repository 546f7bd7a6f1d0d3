// Nova's icon at every hicolor size, rendered at build time from the one SVG with
// rsvg-convert (librsvg2-bin), so no PNG is kept in the tree. Used by build-deb.mjs, and
// run alone (`node render-icons.mjs DIR`) for electron-builder, which wants DIR/NxN.png.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ICON_SVG = join(import.meta.dirname, '../icons/org.nova.Nova.svg');
export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];

export function renderIcon(size, to) {
  mkdirSync(dirname(to), { recursive: true });
  execFileSync('rsvg-convert', ['--width', String(size), '--height', String(size), '--output', to, ICON_SVG]);
  chmodSync(to, 0o644);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node render-icons.mjs DIR');
  for (const size of ICON_SIZES) renderIcon(size, join(dir, `${size}x${size}.png`));
}
