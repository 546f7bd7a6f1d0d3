// [assets] in a NovaFile: files and images Nova makes from Debian packages on first use
// (src-main/core/assets/), so a project such as the demo runs without downloads from
// anywhere else. Relative folders are relative to the NovaFile's folder.
import { nameSchema } from '../../../src-shared/vocabulary/index.js';
import { layered, table } from './novafile-schema-kit.js';
import { filePath } from './novafile-vm-schema.js';

export const assetsShape = {
  /** A folder that gets vmlinux, vmlinuz and initramfs.cpio: Debian's kernel and a busybox initramfs. */
  busybox_guest: filePath('a folder such as "./boot"').optional(),
  /** An image name that gets a busybox root filesystem, imported into Nova when missing. */
  busybox_image: layered(nameSchema('oci-image'), 'an image name such as "hello-web:1"').optional(),
};

export const AssetsTableSchema = table(assetsShape, 'the [assets] table');
