import { describe, expect, it } from 'vitest';
import { parseRecent, pathOfProject, projectHref, projectPathFromHash, rememberProject } from './recent-projects.js';

describe('recent projects', () => {
  it('keeps well-formed entries only and survives damaged storage', () => {
    expect(parseRecent('not json')).toEqual([]);
    expect(parseRecent('{"path":"/a"}')).toEqual([]);
    expect(parseRecent(JSON.stringify([{ path: '/a', project: 'lab', token: 'x' }, { path: 3 }, { path: '/b', project: null }]))).toEqual([
      { path: '/a', project: 'lab' },
      { path: '/b', project: null },
    ]);
  });

  it('moves a reopened path to the front and finds a project by name', () => {
    const list = rememberProject([{ path: '/a', project: 'lab' }, { path: '/b', project: 'web' }], { path: '/b', project: 'web2' });
    expect(list).toEqual([{ path: '/b', project: 'web2' }, { path: '/a', project: 'lab' }]);
    expect(pathOfProject(list, 'lab')).toBe('/a');
    expect(pathOfProject(list, 'web')).toBeNull();
  });

  it('round-trips a path through the route', () => {
    const href = projectHref('/home/me/my lab/NovaFile.toml');
    expect(href).toBe('#/projects?path=%2Fhome%2Fme%2Fmy%20lab%2FNovaFile.toml');
    expect(projectPathFromHash(href)).toBe('/home/me/my lab/NovaFile.toml');
    expect(projectPathFromHash('#/projects?path=relative')).toBeNull();
    expect(projectPathFromHash('#/projects')).toBeNull();
  });
});
