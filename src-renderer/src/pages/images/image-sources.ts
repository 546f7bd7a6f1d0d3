// The ways into the library the Images page offers: a disk file imported (opened by Nova
// with the user's own rights, so any file they can read), an OCI image pulled, and a
// container image imported from an archive in one of the helper's allowed folders.
import { checkImportForm, checkOciImportForm, checkPullForm, suggestImageName, suggestOciImportName, suggestPullName } from '../../lib/image-import-form.js';
import type { ImageSourceSpec } from './ImageSourceForm.js';

export const IMPORT_DISK: ImageSourceSpec = {
  title: 'Import a disk',
  sourceLabel: 'Disk file on the host',
  sourceHint: 'raw, qcow2, vmdk, vdi or vhdx (kept as qcow2); an ISO, a kernel or an initrd, told by its header, copied as it is. Nova opens it with your rights: any file you can read.',
  nameHint: 'How VMs and the library name it.',
  submitLabel: 'Import',
  method: 'image.import',
  check: checkImportForm,
  suggestName: suggestImageName,
};

export const PULL_IMAGE: ImageSourceSpec = {
  title: 'Pull an OCI image',
  sourceLabel: 'Image reference',
  sourceHint: 'registry/repository:tag, such as docker.io/library/alpine:3.20 (alpine:3.20 means the same).',
  nameHint: 'Optional: list it under this local name instead of its reference.',
  submitLabel: 'Pull',
  method: 'ociImage.pull',
  check: checkPullForm,
  suggestName: suggestPullName,
  option: { label: 'Plain HTTP registry', hint: 'Only for a registry on 127.0.0.1 (a local mirror or test registry) without TLS.' },
};

export const IMPORT_CONTAINER: ImageSourceSpec = {
  title: 'Import a container image',
  sourceLabel: 'Archive on the host',
  sourceHint: 'An OCI archive, a Docker archive (docker save) or a rootfs tarball (.tar or .tar.gz), inside a folder Nova may open.',
  nameHint: 'How capsules name it: NAME or NAME:TAG, in lower case.',
  submitLabel: 'Import',
  method: 'ociImage.import',
  check: checkOciImportForm,
  suggestName: suggestOciImportName,
};
