// nova-helper: the privileged daemon. Parses its flags, builds the composition root,
// serves the socket, and shuts down gracefully on SIGTERM/SIGINT.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HELPER_SOCKET, DEFAULT_STATE_DIR, NOVA_VERSION } from '../../src-shared/defaults.js';
import { CachingAuthorizer } from './auth/authorization-cache.js';
import { PolkitAuthorizer } from './auth/authorizer.js';
import { createCapsuleEngine, DEFAULT_VOLUME_ROOTS } from './capsule/capsule-engine.js';
import { networkManagerCapsulePort } from './capsule/capsule-network.js';
import { HealthRegistry } from './health/health-registry.js';
import { VmHealthWatch } from './health/vm-health.js';
import { HostCheckService } from './host-check/host-check-service.js';
import { realHostProbeEnv } from './host-check/host-probe-env.js';
import { hostProbes } from './host-check/host-probes.js';
import { capsuleHandlers } from './methods/capsule-methods.js';
import { deviceHandlers } from './methods/device-methods.js';
import { createDevices } from './devices/device-service.js';
import { testDeviceHost } from './devices/test-device-host.js';
import { eventHandlers } from './methods/event-methods.js';
import type { HelperHandlers } from './methods/handler-table.js';
import { hostHandlers } from './methods/host-methods.js';
import { metricsHandlers } from './methods/metrics-methods.js';
import { startMetricsPipeline } from './metrics/metrics-pipeline.js';
import { networkHandlers } from './methods/network-methods.js';
import { operationHandlers } from './methods/operation-methods.js';
import { snapshotPolicyHandlers } from './methods/snapshot-policy-methods.js';
import { startSnapshotSchedules } from './snapshots/snapshot-schedules.js';
import { OPERATION_RECORD, OperationManager } from './operations/operation-manager.js';
import { RecordStore } from './state/record-store.js';
import { closeInheritedFds } from './process/inherited-fds.js';
import { ProcessRunner } from './process/process-runner.js';
import { vmHandlers } from './methods/vm-methods.js';
import { vmUsbHandlers } from './methods/vm-usb-methods.js';
import { vmMigrationHandlers } from './methods/vm-migration-methods.js';
import { guestMoveHandlers } from './methods/guest-move-methods.js';
import { VmUsbDevices } from './devices/usb-hotplug.js';
import { sriovHandlers } from './methods/sriov-methods.js';
import { NetworkManager } from './network/network-manager.js';
import { MethodDispatcher } from './rpc/method-dispatcher.js';
import { DescriptorInbox } from './rpc/descriptor-inbox.js';
import { RpcServer } from './rpc/rpc-server.js';
import { descriptorSocketPathOf } from '../../src-shared/wire/descriptor-handoff.js';
import { claimStateDir } from './state/helper-pidfile.js';
import { configureTestPause } from './util/test-pause.js';
import { statePlaces, sweepLeftovers } from './state/startup-sweep.js';
import { KERNEL_BOOT_ID, readHostBoot } from './state/host-boot.js';
import { VIRTIOFSD } from './vm/virtiofsd.js';
import { capsuleAutostartEntries, runAutostart } from './vm/autostart.js';
import { createLogger } from './util/logger.js';
import { PathGuard } from './vm/path-guard.js';
import { installedOvmf } from './vm/firmware.js';
import { VmManager } from './vm/vm-manager.js';
import { networkManagerPort } from './vm/vm-network.js';

// Where people keep their own files, root's home included: a caller other than root is
// refused there anyway by the check of the caller's own rights on what was opened.
const DEFAULT_ALLOWED_ROOTS = ['/var/lib/nova/images', '/home', '/root', '/srv'];

const DEFAULT_FIREWALL_CHECK_MS = 30_000;

const USAGE = `Usage: nova-helper [--socket PATH] [--state-dir DIR] [--run-dir DIR] [--allowed-root DIR]... [--log-level LEVEL]

The privileged Nova daemon. Normally started by systemd or on demand by the app.
  --socket PATH        unix socket to serve (default ${DEFAULT_HELPER_SOCKET})
  --state-dir DIR      where VMs, networks and capsules are kept (default ${DEFAULT_STATE_DIR})
  --run-dir DIR        runtime sockets and dnsmasq files (default: run/ in the state dir;
                       keep it short: unix socket paths are limited to 107 bytes)
  --allowed-root DIR   a folder callers' disk, ISO, kernel and image archive paths may come
                       from (repeatable; default ${DEFAULT_ALLOWED_ROOTS.join(', ')} and the state dir)
  --volume-root DIR    a folder capsule volumes may bind (repeatable; default
                       ${DEFAULT_VOLUME_ROOTS.join(', ')})
  --oci-runtime NAME   the OCI runtime for capsules: auto (probe crun, then runc), crun or runc
  --log-level LEVEL    trace, debug, info, warn, error (default info)
  --firewall-check-interval MS
                       how often Nova's nftables rules are checked and put back if
                       removed from outside (default ${DEFAULT_FIREWALL_CHECK_MS}; 0: never)
  --boot-id-file PATH  where the host's boot id is read (default ${KERNEL_BOOT_ID}; tests
                       point it at a file to simulate a host restart)
  --virtiofsd PATH     QEMU's virtiofsd for shared folders (default ${VIRTIOFSD}); where
                       it is missing, new shares use 9p
  --version            print the version
`;

async function main(): Promise<number> {
  // Before anything is spawned: children get fds 0-2 and nothing the helper's parent left open.
  closeInheritedFds();
  // File modes are the helper's choice, not its launcher's: a umask of 000 would make the
  // tools' files (disks, leases) world-writable, 077 would shut QEMU-as-user out of its own.
  process.umask(0o022);
  let args;
  try {
    args = parseArgs({
      options: {
        socket: { type: 'string', default: DEFAULT_HELPER_SOCKET },
        'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
        'run-dir': { type: 'string' },
        'allowed-root': { type: 'string', multiple: true },
        'volume-root': { type: 'string', multiple: true },
        'oci-runtime': { type: 'string', default: 'auto' },
        'log-level': { type: 'string', default: process.env.NOVA_LOG_LEVEL ?? 'info' },
        'firewall-check-interval': { type: 'string', default: String(DEFAULT_FIREWALL_CHECK_MS) },
        'boot-id-file': { type: 'string', default: KERNEL_BOOT_ID },
        virtiofsd: { type: 'string', default: VIRTIOFSD },
        help: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`nova-helper: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${NOVA_VERSION}\n`);
    return 0;
  }

  // Crash tests' pause points, only from the launch environment and only with NOVA_TEST_HOOKS=1.
  configureTestPause(process.env);
  const firewallCheckMs = Number(args['firewall-check-interval']);
  if (!Number.isInteger(firewallCheckMs) || firewallCheckMs < 0) {
    process.stderr.write(`nova-helper: --firewall-check-interval takes milliseconds (0 turns the check off)\n\n${USAGE}`);
    return 2;
  }
  // Installed before any work: a SIGTERM during start-up ends in the same clean shutdown,
  // once the helper is up, instead of killing it half-started.
  const stopRequested = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const logger = createLogger(args['log-level']);
  const socketPath = resolve(args.socket);
  const stateDir = resolve(args['state-dir']);
  // Searchable, not listable: a QEMU running as the calling user and a capsule's shifted
  // root must reach their own files inside; every record and VM folder in it stays private.
  await mkdir(stateDir, { recursive: true, mode: 0o711 });
  const releaseStateDir = await claimStateDir(stateDir);
  // Before anything reads the state dir: what a helper killed mid-write or mid-import left.
  await sweepLeftovers(await statePlaces(stateDir), logger.child({ component: 'sweep' }));

  const startedAt = new Date();
  const processes = new ProcessRunner();
  // Two minutes: pkcheck waits while an authentication agent shows its dialog. Answers are
  // kept briefly and checks bounded, so a flood of requests cannot fork a pkcheck each.
  const polkit = new PolkitAuthorizer(async (argv) => {
    const r = await processes.run({ argv, timeoutMs: 120_000, allowFailure: true });
    return { exitCode: r.exitCode, stderr: r.stderr };
  }, logger.child({ component: 'authorizer' }));
  const authorizer = new CachingAuthorizer(polkit);

  let server: RpcServer | null = null;
  const emit: Parameters<typeof hostHandlers>[0]['emit'] = (event) => server?.broadcast(event);
  const operations = new OperationManager({
    logger: logger.child({ component: 'operations' }),
    emit: (op) => emit({ name: 'operation.changed', payload: op }),
    store: new RecordStore(OPERATION_RECORD, join(stateDir, 'operations')),
  });
  await operations.init();
  const runDir = resolve(args['run-dir'] ?? join(stateDir, 'run'));
  const allowedRoots = [...(args['allowed-root'] ?? DEFAULT_ALLOWED_ROOTS).map((r) => resolve(r)), stateDir];
  const networks = new NetworkManager({
    stateDir,
    runDir: join(runDir, 'networks'),
    runner: processes,
    logger: logger.child({ component: 'network' }),
    operations,
    onChanged: (name) => emit({ name: 'network.changed', payload: { name } }),
  });
  const health = new HealthRegistry({
    onChange: (guest, verdict) => emit({ name: guest.kind === 'vm' ? 'vm.healthChanged' : 'capsule.healthChanged', payload: { name: guest.name, health: verdict } }),
  });
  // Built first: a bad --oci-runtime stops the helper before it touches anything.
  const capsuleEngine = createCapsuleEngine({
    stateDir,
    runDir,
    runtime: args['oci-runtime'],
    volumeRoots: (args['volume-root'] ?? DEFAULT_VOLUME_ROOTS).map((r) => resolve(r)),
    probeEnv: realHostProbeEnv(),
    logger: logger.child({ component: 'capsule' }),
    operations,
    networks: networkManagerCapsulePort(networks),
    onChange: (name, state) => emit({ name: 'capsule.stateChanged', payload: { name, state } }),
    health,
  });
  // The runtime is judged with the capsules' own user-namespace probe, so both name the same one.
  const hostCheck = new HostCheckService({
    env: realHostProbeEnv(),
    stateDir,
    logger: logger.child({ component: 'host-check' }),
    probes: hostProbes({ userNamespaces: capsuleEngine.userNamespaces }),
  });
  const deviceHost = await testDeviceHost(process.env);
  const devices = await createDevices({
    stateDir, roots: deviceHost?.roots ?? realHostProbeEnv(), operations, processes, logger: logger.child({ component: 'devices' }), isRoot: process.getuid?.() === 0,
    ...(deviceHost ? { io: deviceHost.io, pinsMemory: false, uevents: deviceHost.uevents } : {}),
    onChanged: (change) => emit({ name: 'device.changed', payload: change }),
  });
  const handedFiles = new DescriptorInbox(logger.child({ component: 'descriptors' }), { socketPath: descriptorSocketPathOf(socketPath) });
  const vms = new VmManager({
    stateDir,
    runDir: join(runDir, 'vms'),
    allowedRoots: [...(args['allowed-root'] ?? DEFAULT_ALLOWED_ROOTS).map((r) => resolve(r)), stateDir],
    hostAccelerator: async () => (await hostCheck.report({ refresh: false })).accelerator,
    logger: logger.child({ component: 'vm' }),
    onStateChange: (change) => {
      emit({ name: 'vm.stateChanged', payload: change });
      vmHealth.changed(change.name, change.state);
    },
    healthOf: (name) => health.health({ kind: 'vm', name }),
    // Plain UEFI and Secure Boot builds, each only when the host has it (firmware.ts).
    firmware: installedOvmf(),
    networks: networkManagerPort(networks),
    operations,
    devices: devices.vms,
    virtiofsd: args.virtiofsd,
  });
  const vmHealth = new VmHealthWatch(health, () => vms, networks, logger.child({ component: 'health' }));
  // Recovery before serving: networks first (running VMs' taps come back with them), then
  // reattach to running VMs; a VM found dead gives its tap back.
  const hostBoot = await readHostBoot(stateDir, args['boot-id-file']);
  if (hostBoot.restarted) logger.warn({ previous: hostBoot.previous, bootId: hostBoot.bootId }, 'the host restarted since the helper last ran: nothing recorded as running is reattached');
  const recovery = await networks.start({ hostRestarted: hostBoot.restarted });
  if (recovery.problems.length > 0) logger.warn({ problems: recovery.problems }, 'some networks came back degraded');
  const stopFirewallWatch = firewallCheckMs > 0 ? networks.watchFirewall(firewallCheckMs) : () => undefined;
  await vms.init({ hostRestarted: hostBoot.restarted });
  // After the VMs: a binding whose QEMU runs stays; the others go back to their host drivers.
  await devices.recover();
  await devices.watch();
  // Reattach to running capsules, reap the ones that ended, resume restart policies.
  await capsuleEngine.recover();
  await hostBoot.commit();
  const metrics = startMetricsPipeline({ stateDir, vms, capsules: capsuleEngine.capsules, logger: logger.child({ component: 'metrics' }) });
  const stopSampling = vms.startSampling((sample) => {
    emit({ name: 'vm.metricsSampled', payload: sample });
    metrics.recordVm(sample);
  });

  const snapshots = startSnapshotSchedules({ stateDir, vms, capsules: capsuleEngine.capsules, logger: logger.child({ component: 'snapshots' }), emit });

  const handlers = {
    ...hostHandlers({ hostCheck, stateDir, startedAt, emit }),
    ...vmHandlers({ vms, handedFiles }),
    ...vmMigrationHandlers(vms),
    ...guestMoveHandlers({ vms, capsules: capsuleEngine.capsules, logger: logger.child({ component: 'move' }) }),
    ...vmUsbHandlers(new VmUsbDevices({ vms, hostDevices: async () => (await devices.inventory.list(true)).usb, nodes: devices.nodes })),
    ...capsuleHandlers({
      capsules: capsuleEngine.capsules,
      images: capsuleEngine.images,
      terminals: capsuleEngine.terminals,
      importPaths: new PathGuard(allowedRoots),
      emit,
    }),
    ...networkHandlers({ networks, isGuestNetns: (netns) => capsuleEngine.capsules.ownsNetns(netns) }),
    ...operationHandlers({ operations, authorizer }),
    ...eventHandlers(),
    ...deviceHandlers(devices.inventory, devices.passthrough),
    ...sriovHandlers(devices.io, operations),
    ...metricsHandlers({ store: metrics.store, vms, capsules: capsuleEngine.capsules }),
    ...snapshotPolicyHandlers(snapshots),
  } satisfies HelperHandlers;

  server = new RpcServer(new MethodDispatcher(handlers, authorizer), logger.child({ component: 'rpc' }), {
    socketPath,
  });
  try {
    // First: a client that finds the RPC socket may hand over a file at once.
    await handedFiles.listen();
    await server.listen();
  } catch (err) {
    logger.error({ err }, 'cannot listen');
    process.stderr.write(`nova-helper: ${(err as Error).message}\n`);
    await releaseStateDir();
    return 1;
  }
  logger.info({ version: NOVA_VERSION, stateDir, socket: socketPath }, 'nova-helper ready');
  // The host booted: what is marked autostart starts now, in order, while the helper serves.
  const autostartStop = new AbortController();
  const autostart = hostBoot.restarted
    ? Promise.all([vms.autostartEntries(), capsuleEngine.capsules.list()])
        .then(([vmEntries, capsules]) => runAutostart([...vmEntries, ...capsuleAutostartEntries(capsules, (n) => capsuleEngine.capsules.start(n))], { logger: logger.child({ component: 'autostart' }), stateDir, bootId: hostBoot.bootId, signal: autostartStop.signal }))
        .catch((err: unknown) => logger.error({ err }, 'autostart failed'))
    : Promise.resolve();

  logger.info({ signal: await stopRequested }, 'shutting down');
  autostartStop.abort();
  vms.stopRestarts();
  stopSampling();
  stopFirewallWatch();
  metrics.stop();
  await snapshots.stop();
  // Work under way is cancelled and cleaned up rather than left half-made.
  await operations.cancelAll();
  await autostart;
  health.close();
  await server.close();
  await handedFiles.close();
  await capsuleEngine.close();
  await devices.close();
  // VMs, capsules and networks keep running: the next helper reattaches to them.
  await vms.detachAll();
  await releaseStateDir();
  logger.info('stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nova-helper: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
