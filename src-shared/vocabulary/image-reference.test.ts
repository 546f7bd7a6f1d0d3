import { describe, expect, it } from 'vitest';
import { parseImageReference } from './image-reference.js';
import { message, value } from './test-helpers.js';

describe('image references', () => {
  it.each([
    ['ubuntu:22.04', { registry: null, repository: 'ubuntu', tag: '22.04', digest: null }],
    ['docker.io/library/alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['localhost/base', { registry: 'localhost', repository: 'base', tag: null }],
    ['my-imported-image', { registry: null, repository: 'my-imported-image' }],
    [`registry.example:5000/ns/img@sha256:${'0'.repeat(64)}`, { registry: 'registry.example:5000', tag: null, digest: `sha256:${'0'.repeat(64)}` }],
    [`ghcr.io/o/r:v1@sha256:${'f'.repeat(64)}`, { repository: 'o/r', tag: 'v1' }],
  ])('parses %s', (text, expected) => {
    expect(value(parseImageReference(text))).toMatchObject({ text, ...expected });
  });

  it.each([
    ['Ubuntu', 'lowercase'],
    ['ubuntu:', 'not an image tag'],
    ['a b', 'contains a space'],
    ['', 'empty'],
    ['img@sha256:abc', 'not a digest'],
    ['bad_host.-x/img', 'not a registry host'],
    ['a'.repeat(513), 'the limit is 512'],
  ])('refuses %j', (text, fragment) => {
    expect(message(parseImageReference(text))).toContain(fragment);
  });
});
