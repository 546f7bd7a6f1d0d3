// nova down and nova ps against a fake helper: dependents stop before what they depend on,
// guests are kept (stopped) unless volumes, a network used outside the project is kept
// with the reason; ps shows each guest's address and health, and what the file lacks.
import { describe, expect, it } from 'vitest';
import type { Capsule } from '../../../src-shared/capsule.js';
import type { Network } from '../../../src-shared/network.js';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import type { ActualState } from './actual-state.js';
import { guestNodes } from './apply-order.js';
import { desiredState } from './desired-state.js';
import { beforeUpSnapshotName } from './guest-steps.js';
import { downProject } from './project-down.js';
import type { ProjectHelper } from './project-helper.js';
import { formatPsTable, projectRows } from './project-ps.js';

const FILE = `project = "lab"
[network.lan]
[capsule.db]
capsule = "alpine:3.20"
network = "lan"
[capsule.web]
capsule = "alpine:3.20"
network = "lan"
ports = ["8080:80"]
depends_on = ["db"]
`;

const d = (() => {
  const { config } = parseNovaFile(FILE, 'NovaFile.toml', '/p');
  if (!config) throw new Error('bad file');
  return desiredState(config);
})();

const capsule = (name: string, project: string | undefined, network: string | null): Capsule =>
  ({
    name,
    state: 'running',
    spec: { project, network: network ?? undefined, ports: name === 'web' ? [{ hostPort: 8080, guestPort: 80, protocol: 'tcp' }] : [] },
    network: network ? { name: network, address: `10.0.0.${name.length}/24`, hostname: name, hostIfname: 'x' } : null,
    health: name === 'db' ? { status: 'healthy' } : null,
  }) as unknown as Capsule;

const lan = { name: 'lan', project: 'lab', attachments: [], status: { state: 'active', reasons: [] }, subnet: '10.0.0.0/24' } as unknown as Network;

function fake(): ProjectHelper & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    call: (async (method: string) => (method === 'network.leases' ? { leases: [] } : {})) as ProjectHelper['call'],
    operation: (async (method: string, params: { name?: string }) => {
      log.push(`${method} ${params.name ?? ''}`);
      return {};
    }) as ProjectHelper['operation'],
  };
}

const opts = { project: 'lab', declared: guestNodes(d), signal: new AbortController().signal, onLine: () => undefined };

describe('downProject', () => {
  it('stops dependents first, keeps the guests, deletes the network', async () => {
    const h = fake();
    const actual: ActualState = { networks: [lan], vms: [], capsules: [capsule('db', 'lab', 'lan'), capsule('web', 'lab', 'lan')] };
    const out = await downProject(actual, h, { ...opts, volumes: false });
    expect(h.log).toEqual(['capsule.stop web', 'capsule.stop db', 'network.delete lan']);
    expect(out.stopped.map((r) => r.name)).toEqual(['web', 'db']);
  });

  it('deletes the guests with --volumes, and keeps a network a guest outside the project uses', async () => {
    const h = fake();
    const actual: ActualState = { networks: [lan], vms: [], capsules: [capsule('db', 'lab', 'lan'), capsule('other', undefined, 'lan')] };
    const out = await downProject(actual, h, { ...opts, volumes: true });
    expect(h.log).toEqual(['capsule.delete db']);
    expect(out.kept).toEqual([{ kind: 'network', name: 'lan', reason: 'still used by capsule other, outside project lab' }]);
  });
});

describe('projectRows', () => {
  it("shows each guest's address, ports and health, and what the file declares but the helper lacks", async () => {
    const actual: ActualState = { networks: [lan], vms: [], capsules: [capsule('web', 'lab', 'lan')] };
    const rows = await projectRows(d, actual, fake());
    expect(formatPsTable(rows)).toBe(
      [
        'KIND     NAME  STATE    HEALTH  ADDRESS',
        'network  lan   active   -       10.0.0.0/24',
        'capsule  web   running  -       10.0.0.3 on lan; 8080->80/tcp',
        'capsule  db    absent   -       -',
        '',
      ].join('\n'),
    );
  });
});

describe('beforeUpSnapshotName', () => {
  it('names the snapshot by the time, in a form every snapshot name pattern takes', () => {
    expect(beforeUpSnapshotName(new Date('2026-12-06T10:35:12.345Z'))).toBe('before-up-20261206-103512');
  });
});
