// A network whose record was cut short, as a crash of an unsafe writer or a full disk
// leaves it, against the real network engine in a test namespace: the engine starts,
// lists it as broken with the file and the fault, refuses to create over it, and its
// delete takes down what it is known by from its name alone (its bridge, with the MAC
// Nova derives from the name, and its dnsmasq), after which the name is free again.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, pidsMentioning } from './network-harness.js';

let lab: NetnsLab;
let host = '';
const NET = () => lab.name('net');

beforeAll(async () => {
  lab = await NetnsLab.create('b', 'nv4r');
  host = await lab.netns('h');
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('a damaged network record', () => {
  it('is listed as broken, blocks its name, and its delete removes its bridge and dnsmasq', async () => {
    const first = lab.manager(host, 'm');
    await first.start();
    await first.create({ name: NET(), profile: 'nat', subnet: '10.67.0.1/24' });
    const dnsmasqDir = join(lab.dir, 'm-run', NET());
    expect(await pidsMentioning(dnsmasqDir)).toHaveLength(1);

    // The manager is gone (a killed helper); its record is cut short.
    const file = join(lab.dir, 'm-state', 'networks', `${NET()}.json`);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, 100));

    const second = lab.manager(host, 'm');
    const report = await second.start();
    expect(report.problems).toEqual([{ network: NET(), message: expect.stringContaining('cannot be read') }]);
    expect(await second.list()).toEqual([]);
    expect(await second.broken()).toEqual([{ name: NET(), state: 'broken', file, stateReason: expect.stringMatching(/cannot be read: not valid JSON/) }]);
    await expect(second.get(NET())).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining(`nova net rm ${NET()}`) });
    await expect(second.create({ name: NET(), profile: 'nat', subnet: '10.67.0.1/24' })).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('is broken') });
    expect((await lab.exec(host, ['ip', 'link', 'show', NET()])).exitCode).toBe(0);

    await second.delete(NET());
    expect((await lab.exec(host, ['ip', 'link', 'show', NET()])).exitCode).not.toBe(0);
    expect(await pidsMentioning(dnsmasqDir)).toEqual([]);
    expect(await second.broken()).toEqual([]);

    // The name is free: the same network is created again.
    expect((await second.create({ name: NET(), profile: 'nat', subnet: '10.67.0.1/24' })).status.state).toBe('active');
  });
});
