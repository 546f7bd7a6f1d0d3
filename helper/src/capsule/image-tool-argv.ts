// The exact argv of every skopeo, umoci and tar call the image store makes, as pure
// functions with golden tests. The OCI layout of each image keeps one tag: `image`.
export const LAYOUT_TAG = 'image';

/** The manifest as the registry serves it: its layers and their sizes (an index lists manifests instead). */
export function skopeoInspectArgv(skopeo: string, policy: string, reference: string, tlsVerify: boolean): string[] {
  return [skopeo, '--policy', policy, 'inspect', '--raw', ...(tlsVerify ? [] : ['--tls-verify=false']), `docker://${reference}`];
}

export function skopeoPullArgv(skopeo: string, policy: string, reference: string, layoutDir: string, tlsVerify: boolean): string[] {
  return [skopeo, '--policy', policy, 'copy', ...(tlsVerify ? [] : ['--src-tls-verify=false']), `docker://${reference}`, `oci:${layoutDir}:${LAYOUT_TAG}`];
}

export function skopeoArchiveArgv(skopeo: string, policy: string, kind: 'oci-archive' | 'docker-archive', file: string, layoutDir: string): string[] {
  return [skopeo, '--policy', policy, 'copy', `${kind}:${file}`, `oci:${layoutDir}:${LAYOUT_TAG}`];
}

export function umociInitArgv(umoci: string, layoutDir: string): string[] {
  return [umoci, 'init', '--layout', layoutDir];
}

export function umociNewArgv(umoci: string, layoutDir: string): string[] {
  return [umoci, 'new', '--image', `${layoutDir}:${LAYOUT_TAG}`];
}

export function umociAddLayerArgv(umoci: string, layoutDir: string, tarFile: string): string[] {
  return [umoci, 'raw', 'add-layer', '--image', `${layoutDir}:${LAYOUT_TAG}`, tarFile];
}

/**
 * The image's root filesystem alone (`raw unpack`): a full `umoci unpack` also writes a
 * runtime config, looking the image's user up in its etc/passwd on the host, through any
 * link the image put there (to a FIFO it waits on forever). Nova writes its own config.
 */
export function umociUnpackArgv(umoci: string, layoutDir: string, rootfsDir: string): string[] {
  return [umoci, 'raw', 'unpack', '--image', `${layoutDir}:${LAYOUT_TAG}`, rootfsDir];
}

export function tarListArgv(tar: string, file: string): string[] {
  return [tar, '--list', '--file', file];
}
