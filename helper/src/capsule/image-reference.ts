// Image references as Docker writes them (`ubuntu:22.04`, `ghcr.io/o/r@sha256:...`),
// parsed strictly and normalized to a full registry reference that skopeo copies.
// Docker Hub names without a namespace live under `library/`.
import { NovaError } from '../../../src-shared/errors.js';
import { parseImageReference as parseReferenceText } from '../../../src-shared/vocabulary/image-reference.js';

export const DEFAULT_REGISTRY = 'docker.io';

export interface ImageReference {
  registry: string;
  /** `library/ubuntu`, `org/app`. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

/** The contract's grammar (src-shared/vocabulary), normalized to what skopeo copies. */
export function parseImageReference(ref: string): ImageReference {
  const parsed = parseReferenceText(ref);
  if (!parsed.ok) throw new NovaError('invalid_argument', `Malformed image reference "${ref}": ${parsed.message}`, { reference: ref });
  const { registry, repository, tag, digest } = parsed.value;
  const parts = repository.split('/');
  if (registry === null && parts.length === 1) parts.unshift('library');
  return { registry: registry ?? DEFAULT_REGISTRY, repository: parts.join('/'), tag: tag === null && digest === null ? 'latest' : tag, digest };
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
