// The import forms' rules: an absolute path on the host, and a library name the
// contract accepts (suggested from the file's name until the user writes their own).
import { novaApi } from '../../../src-shared/api/nova-api.js';
import { ImageSchema } from '../../../src-shared/vm.js';

export interface ImportFormValues {
  readonly path: string;
  readonly name: string;
}

export type ImportFormErrors = Partial<Record<keyof ImportFormValues, string>>;

/** `/srv/images/Debian 12.qcow2` -> `Debian-12`: the file's name, made a valid image name. */
export function suggestImageName(path: string): string {
  const file = path.split('/').pop() ?? '';
  const stem = file.replace(/\.(raw|img|qcow2|vmdk|vdi|vhdx|iso)$/i, '');
  return stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
}

export function checkImportForm(values: ImportFormValues): ImportFormErrors {
  const errors: ImportFormErrors = {};
  const path = values.path.trim();
  if (!path) errors.path = 'give the path of the disk file on the host';
  else if (!path.startsWith('/')) errors.path = 'give an absolute path, starting with /';
  const name = ImageSchema.shape.name.safeParse(values.name.trim());
  if (!values.name.trim()) errors.name = 'give the image a name';
  else if (!name.success) errors.name = 'letters, digits, ".", "_" and "-", starting with a letter or digit (at most 128)';
  return errors;
}

/** `127.0.0.1:5000/tools/busybox:1.36` -> `busybox`: the reference's last path part, without tag or digest. */
export function suggestPullName(reference: string): string {
  const last = reference.trim().split('/').pop() ?? '';
  return last.replace(/[@:].*$/, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 128);
}

/** A pull: a reference (the registry checks the rest), and a local name the contract accepts, or none. */
export function checkPullForm(values: ImportFormValues): ImportFormErrors {
  const errors: ImportFormErrors = {};
  const reference = values.path.trim();
  if (!reference) errors.path = 'give an image reference, such as docker.io/library/alpine:3.20';
  else if (/\s/.test(reference)) errors.path = 'a reference has no spaces';
  const name = values.name.trim();
  const checked = name ? novaApi['ociImage.pull'].params.shape.name.safeParse(name) : null;
  if (checked && !checked.success) errors.name = checked.error.issues[0]?.message ?? 'not a valid image name';
  return errors;
}

/** `/srv/nv/busybox-rootfs.tar.gz` -> `busybox-rootfs`: the archive's name, made an OCI image name. */
export function suggestOciImportName(path: string): string {
  const file = path.split('/').pop() ?? '';
  const stem = file.replace(/\.(tar\.gz|tgz|tar|oci|docker)$/i, '').toLowerCase();
  return stem.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 128);
}

/** A container image import: an absolute path, and a name `ociImage.import` accepts. */
export function checkOciImportForm(values: ImportFormValues): ImportFormErrors {
  const errors: ImportFormErrors = {};
  const path = values.path.trim();
  if (!path) errors.path = 'give the path of the archive on the host';
  else if (!path.startsWith('/')) errors.path = 'give an absolute path, starting with /';
  const name = values.name.trim();
  const checked = novaApi['ociImage.import'].params.shape.name.safeParse(name);
  if (!name) errors.name = 'give the image a name';
  else if (!checked.success) errors.name = checked.error.issues[0]?.message ?? 'not a valid image name';
  return errors;
}
