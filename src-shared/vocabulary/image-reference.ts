// OCI image references as every OCI tool reads them ("ubuntu:22.04",
// "docker.io/library/alpine:3.20", "registry.example:5000/ns/img@sha256:..."), following
// the grammar of github.com/distribution/reference. The name of an imported image is one too.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export interface ImageReference {
  /** As written; the helper resolves short names against imported images, then registries. */
  text: string;
  registry: string | null;
  repository: string;
  tag: string | null;
  digest: string | null;
}

export const IMAGE_REFERENCE_MAX = 512;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::\\d+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
/** What Nova pulls by: a sha256 content digest, as registries print it. */
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HELP = 'use an image reference such as "ubuntu:22.04", "docker.io/library/alpine:3.20" or the name of an imported image';

export function parseImageReference(text: string): Parsed<ImageReference> {
  if (text === '') return fail(`the image reference is empty; ${HELP}`);
  if (text.length > IMAGE_REFERENCE_MAX) return fail(`the image reference is ${text.length} characters long; the limit is ${IMAGE_REFERENCE_MAX}`);
  if (/\s/.test(text)) return fail(`${describeValue(text)} contains a space; ${HELP}`);
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return fail(`${describeValue(digest)} is not a digest; use "@sha256:" followed by 64 hex digits`);
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) return fail(`${describeValue(tag)} is not an image tag; tags are up to 128 letters, digits, "_", "." and "-"`);
  }
  const components = rest.split('/');
  let registry: string | null = null;
  const first = components[0] ?? '';
  // As Docker decides: the first component is a registry if it has a "." or ":" or is localhost.
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    components.shift();
    if (!DOMAIN.test(registry)) return fail(`${describeValue(registry)} is not a registry host; ${HELP}`);
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      const hint = /[A-Z]/.test(component) ? '; repository names must be lowercase' : '';
      return fail(`${describeValue(text)} is not a valid image reference${hint}; ${HELP}`);
    }
  }
  return ok({ text, registry, repository: components.join('/'), tag, digest });
}
