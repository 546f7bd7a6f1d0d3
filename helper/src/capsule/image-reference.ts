// Image references as Docker writes them (`ubuntu:22.04`, `ghcr.io/o/r@sha256:...`),
// parsed strictly and normalized to a full registry reference that skopeo copies.
// Docker Hub names without a namespace live under `library/`.
import { NovaError } from '../../../src-shared/errors.js';

export const DEFAULT_REGISTRY = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface ImageReference {
  registry: string;
  /** `library/ubuntu`, `org/app`. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

function bad(ref: string, why: string): NovaError {
  return new NovaError('invalid_argument', `Malformed image reference "${ref}": ${why}`, { reference: ref });
}

export function parseImageReference(ref: string): ImageReference {
  if (ref.length === 0 || ref.length > 512) throw bad(ref, 'empty or longer than 512 characters');
  if (/\s/.test(ref)) throw bad(ref, 'it contains whitespace');
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(ref, 'the digest is not sha256:<64 hex digits>');
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(ref, `the tag "${tag}" is not valid`);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN.test(first)) throw bad(ref, `the registry "${first}" is not a host name`);
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
    throw bad(ref, 'the repository must be lowercase letters, digits and separators (. _ -), in /-separated parts');
  }
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  if (tag === null && digest === null) tag = 'latest';
  return { registry, repository: parts.join('/'), tag, digest };
}

export function formatImageReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function normalizeImageReference(ref: string): string {
  return formatImageReference(parseImageReference(ref));
}

/** Registries on the loopback interface: the only ones a pull may reach without TLS. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '');
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
