import { describe, expect, it } from 'vitest';
import { CapsuleLayout } from './capsule-layout.js';

describe('CapsuleLayout', () => {
  const layout = new CapsuleLayout('/var/lib/nova');

  it("puts a capsule's files in its own folder and names its container after it", () => {
    expect(layout.dir('web_1')).toBe('/var/lib/nova/capsules/web_1');
    expect(layout.paths('web_1').record).toBe('/var/lib/nova/capsules/web_1/capsule.json');
    expect(layout.containerId('web_1')).toBe('nova-web_1');
  });

  it('never turns a name into a path outside its folder, whoever calls it', () => {
    for (const bad of ['../../etc', 'a/b', '', '.hidden', 'Web']) {
      expect(() => layout.dir(bad)).toThrow(/is not a valid capsule name/);
      expect(() => layout.scratchDir('creating', bad)).toThrow(/is not a valid capsule name/);
      expect(() => layout.containerId(bad)).toThrow(/is not a valid capsule name/);
    }
  });
});
