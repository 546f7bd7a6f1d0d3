// A stopped capsule moving to another host, both sides. The source's offer refuses a
// running capsule (the caller may stop it first: `nova capsule migrate --restart`) and one
// with snapshots, and names its image by digest; the destination says whether it has that
// image or needs it sent. The send streams the writable layer (the overlay's upper dir, or
// the whole copied rootfs), the content of each volume and, when asked, the image's OCI
// layout. The destination checks the offer before making anything and, once every file
// matches the source's list, takes the image in, puts each volume's content at the same
// path as on the source, creates the capsule from its spec and swaps in the layer that
// arrived. A failure at any step removes what this host made; the source's capsule goes
// only when the caller says the destination has it whole. Volume folders are the user's
// files: they stay on the source.
import { lstat, mkdir, readdir, realpath, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { Capsule, CapsuleSpec } from '../../../src-shared/capsule.js';
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import type { CapsuleMoveOffer, MoveListener, MoveSent, MoveTarget } from '../../../src-shared/api/guest-move-api.js';
import type { PublishedPort } from '../../../src-shared/capsule.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import type { OperationManager, Requester } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { arrivedFiles, STAGING_PREFIX, type MoveArrivals } from '../move/move-arrivals.js';
import { requireWhole } from '../move/file-manifest.js';
import { sendAndList } from '../move/send-step.js';
import type { MovePart } from '../move/move-stream.js';
import { rootOf } from '../safe-fs/confined-open.js';
import type { RootfsMode } from './capsule-layer.js';
import type { CapsuleLayout } from './capsule-layout.js';
import type { CapsuleRecord } from './capsule-record.js';
import type { ImageStore } from './image-store.js';
import { checkVolume } from './volume-paths.js';

const RECEIVED_WAIT_MS = 60_000;
const CREDENTIALS_TIMEOUT_MS = 60_000;
const COPY_TIMEOUT_MS = 60 * 60_000;

export interface CapsuleMoveHost {
  readonly layout: CapsuleLayout;
  readonly operations: OperationManager;
  readonly images: ImageStore;
  readonly runner: Pick<ProcessRunner, 'run' | 'spawnDetached'>;
  readonly volumeRoots: readonly string[];
  /** The capsule's record; null when this host has none of that name. */
  record(name: string): CapsuleRecord | null;
  rootfsMode(): Promise<RootfsMode>;
  /** The dir holding what the capsule changed: its overlay's upper dir, or its whole copied rootfs. */
  layerPath(name: string, rec: CapsuleRecord): string;
  checkNetwork(network: string, ports: readonly PublishedPort[]): Promise<void>;
  snapshotCount(name: string): Promise<number>;
  create(spec: CapsuleSpec, requester: Requester): Promise<Capsule>;
  delete(name: string, requester: Requester): Promise<void>;
  /** The layer of a created, stopped capsule replaced by the folder `from` (moved, not copied). */
  replaceLayer(name: string, from: string, requester: Requester): Promise<void>;
}

interface Arriving {
  offer: CapsuleMoveOffer;
  sendImage: boolean;
}

export class CapsuleMove {
  /** Capsules sent from here, with how their last run had ended: complete removes only one not run since. */
  private readonly sent = new Map<string, string>();
  private readonly arriving = new Map<string, Arriving>();

  constructor(
    private readonly host: CapsuleMoveHost,
    private readonly arrivals: MoveArrivals,
  ) {}

  // ---- source ----

  async offer(name: string, requester: Requester): Promise<CapsuleMoveOffer> {
    return this.host.operations.exclusive([capsuleRef(name)], 'preparing a move', requester, async () => {
      const rec = await this.movable(name);
      const image = await this.host.images.get(rec.imageId);
      return {
        spec: rec.spec,
        image: { name: image.name, digest: image.digest, sizeBytes: image.sizeBytes },
        rootfsMode: rec.rootfsMode,
        userNamespace: rec.userNamespace ?? null,
        volumes: rec.spec.volumes.map((v) => ({ source: v.source })),
      };
    });
  }

  async send(name: string, to: MoveTarget, sendImage: boolean, requester: Requester): Promise<MoveSent> {
    const spec = { kind: 'capsule.moveSend', resource: capsuleRef(name), title: `move to ${to.host}` } as const;
    return this.host.operations.run(spec, requester, async (op) => {
      op.progress({ phase: 'reading the layer and volumes', cancellable: true });
      const rec = await this.movable(name);
      const parts: MovePart[] = [{ dir: this.host.layerPath(name, rec), entry: '.', as: 'layer' }];
      for (const [i, v] of rec.spec.volumes.entries()) {
        await checkVolume(v, this.host.volumeRoots);
        const st = await lstat(v.source);
        parts.push(st.isDirectory() ? { dir: v.source, entry: '.', as: `volumes/${i}` } : { dir: dirname(v.source), entry: basename(v.source), as: `volumes/${i}` });
      }
      if (sendImage) parts.push({ dir: join(this.host.images.root, rec.imageId), entry: 'oci', as: 'image' });
      const result = await sendAndList(this.host.runner, parts, to, op);
      this.sent.set(name, runMark(rec));
      return result;
    });
  }

  async complete(name: string, requester: Requester): Promise<void> {
    const sent = this.sent.get(name);
    if (sent === undefined) throw new NovaError('failed_precondition', `Capsule "${name}" was not sent to another host by a move from here: nothing is removed`);
    const rec = this.host.record(name);
    if (!rec || rec.run || runMark(rec) !== sent) throw new NovaError('failed_precondition', `Capsule "${name}" was started here after it was sent: nothing is removed`);
    await this.host.delete(name, requester);
    this.sent.delete(name);
  }

  private async movable(name: string): Promise<CapsuleRecord> {
    const rec = this.host.record(name);
    if (!rec) throw new NovaError('not_found', `No capsule named "${name}"`, { name });
    this.sent.delete(name);
    if (rec.run) throw new NovaError('failed_precondition', `Capsule "${name}" is running: stop it first, or move it with --restart to stop it here and start it there`);
    const snapshots = await this.host.snapshotCount(name);
    if (snapshots > 0) throw new NovaError('failed_precondition', `Capsule "${name}" cannot move to another host: it has ${snapshots} snapshot(s), which a move does not carry: delete them first`);
    return rec;
  }

  // ---- destination ----

  async incoming(offer: CapsuleMoveOffer, listen: string, requester: Requester): Promise<MoveListener & { sendImage: boolean }> {
    const name = offer.spec.name;
    return this.host.operations.exclusive([capsuleRef(name)], 'preparing an incoming move', requester, async () => {
      await this.refuseOffer(offer);
      const sendImage = (await this.localImage(offer)) === null;
      const listener = await this.arrivals.open(arrivalKey(name), this.staging(name), listen, AbortSignal.timeout(CREDENTIALS_TIMEOUT_MS));
      this.arriving.set(name, { offer, sendImage });
      return { ...listener, sendImage };
    });
  }

  /** Unlocked: the capsule's create and layer swap take its lock themselves; the arrival keeps the name to this move. */
  async finish(name: string, sent: MoveSent, requester: Requester): Promise<Capsule> {
    const arriving = this.arriving.get(name);
    if (!arriving) throw new NovaError('failed_precondition', `Capsule "${name}" is not arriving by a move on this host`);
    const { offer } = arriving;
    const staging = await this.arrivals.received(arrivalKey(name), RECEIVED_WAIT_MS);
    requireWhole(`capsule ${name}`, sent.files, await arrivedFiles(staging));
    if (!(await lstat(join(staging, 'layer')).catch(() => null))?.isDirectory()) throw new NovaError('failed_precondition', `capsule ${name}'s layer did not arrive`);
    await this.refuseOffer(offer);
    const undo: Array<() => Promise<unknown>> = [];
    try {
      let image = await this.localImage(offer);
      if (!image) {
        if (!arriving.sendImage) throw new NovaError('failed_precondition', `image ${offer.image.name} (${offer.image.digest}) is no longer on this host`);
        image = await this.host.images.adoptLayout(offer.image.name, join(staging, 'image'), requester);
        const adopted = image.name;
        undo.push(() => this.host.images.remove(adopted, requester));
        if (image.digest !== offer.image.digest) throw new NovaError('failed_precondition', `the image that arrived is ${image.digest}, not ${offer.image.digest} as the source said`);
      }
      for (const [i, v] of offer.spec.volumes.entries()) {
        await placeVolume(this.host.runner, this.host.volumeRoots, join(staging, 'volumes', String(i)), v.source);
        undo.push(() => rm(v.source, { recursive: true, force: true }));
      }
      // The capsule names its image as its owner wrote it ("busybox"), where that name means the same image here.
      const created = await this.host.create({ ...offer.spec, image: image.name === offer.image.name ? offer.spec.image : image.name }, requester);
      undo.push(() => this.host.delete(name, requester));
      const rec = this.host.record(name);
      if (!sameMapping(rec?.userNamespace ?? null, offer.userNamespace)) {
        throw new NovaError('failed_precondition', `capsule ${name} runs here with other user ids than on the source (user namespace ${describeMapping(rec?.userNamespace ?? null)} here, ${describeMapping(offer.userNamespace)} there): its files would belong to other users`);
      }
      await this.host.replaceLayer(name, join(staging, 'layer'), requester);
      this.arriving.delete(name);
      await this.arrivals.settled(arrivalKey(name));
      return created;
    } catch (err) {
      for (const u of undo.reverse()) await u().catch(() => undefined);
      throw err;
    }
  }

  async discard(name: string, requester: Requester): Promise<void> {
    await this.host.operations.exclusive([capsuleRef(name)], 'discarding the incoming move', requester, async () => {
      await this.arrivals.discard(arrivalKey(name));
      this.arriving.delete(name);
    });
  }

  private staging(name: string): string {
    return join(this.host.layout.root, `${STAGING_PREFIX}${name}`);
  }

  private async localImage(offer: CapsuleMoveOffer) {
    return (await this.host.images.list()).find((i) => i.digest === offer.image.digest) ?? null;
  }

  /** Everything that can refuse the move, before anything is made. */
  private async refuseOffer(offer: CapsuleMoveOffer): Promise<void> {
    const { spec } = offer;
    const name = spec.name;
    if (this.host.record(name)) throw new NovaError('already_exists', `this host already has a capsule named "${name}"`);
    if (spec.network) {
      const network = spec.network;
      await this.host.checkNetwork(network, spec.ports).catch((err: unknown) => {
        if (isNovaError(err, 'not_found')) throw new NovaError('failed_precondition', `capsule ${name} is on network ${network}, which this host does not have: create it here first`, { network });
        throw err;
      });
    }
    const mode = await this.host.rootfsMode();
    if (mode !== offer.rootfsMode) throw new NovaError('failed_precondition', `capsule ${name} keeps its changes as ${offer.rootfsMode === 'overlay' ? 'an overlay' : 'a full copy of its image'}, and this host makes ${mode === 'overlay' ? 'overlays' : 'full copies'}: its layer cannot be used here`);
    for (const v of spec.volumes) {
      try {
        rootOf(this.host.volumeRoots, v.source, 'Volume source');
      } catch {
        throw new NovaError('failed_precondition', `capsule ${name}'s volume ${v.source} is outside this host's volume roots (${this.host.volumeRoots.join(', ')})`, { path: v.source });
      }
      if (!(await isFreeForVolume(v.source))) throw new NovaError('failed_precondition', `capsule ${name}'s volume ${v.source} already exists on this host and is not empty: move it away first`, { path: v.source });
    }
  }
}

/** A path a volume's content may be put at: nothing there, or an empty folder. */
async function isFreeForVolume(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => null);
  if (!st) return true;
  return st.isDirectory() && (await readdir(path)).length === 0;
}

/** The content that arrived for a volume, put at its path (renamed when on the same filesystem, else copied). */
async function placeVolume(runner: Pick<ProcessRunner, 'run'>, volumeRoots: readonly string[], from: string, to: string): Promise<void> {
  if (!(await isFreeForVolume(to))) throw new NovaError('failed_precondition', `the volume ${to} appeared on this host during the move`, { path: to });
  await rmdir(to).catch(() => undefined);
  await mkdir(dirname(to), { recursive: true, mode: 0o755 });
  // A link on the way from the volume root (a user's folders) would put the files elsewhere, as root.
  const root = rootOf(volumeRoots, to, 'Volume source');
  if ((await realpath(dirname(to))) !== join(await realpath(root), relative(root, dirname(to)))) throw new NovaError('failed_precondition', `the path of the volume ${to} passes through a symbolic link inside the volume root on this host`, { path: to });
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await runner.run({ argv: ['cp', '--archive', '--no-target-directory', '--', from, to], timeoutMs: COPY_TIMEOUT_MS, what: `copying the volume ${to} into place` });
  }
}

/** What a start and its end change in the record: equal before and after, no run came between. */
function runMark(rec: CapsuleRecord): string {
  return JSON.stringify([rec.lastExit, rec.restartCount, rec.desired]);
}

function sameMapping(a: CapsuleRecord['userNamespace'] | null, b: CapsuleRecord['userNamespace'] | null): boolean {
  const key = (m: CapsuleRecord['userNamespace'] | null) => (m?.enabled ? `${m.hostId}:${m.size}` : 'none');
  return key(a) === key(b);
}

function describeMapping(m: CapsuleRecord['userNamespace'] | null): string {
  return m?.enabled ? `from host id ${m.hostId}, ${m.size} ids` : 'none';
}

function arrivalKey(name: string): string {
  return `capsule/${name}`;
}

function capsuleRef(name: string): ResourceRef {
  return { kind: 'capsule', name };
}
