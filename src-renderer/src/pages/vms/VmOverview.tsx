// The VM at a glance: what it is (machine, CPUs, memory, kernel and initrd, disks), how it
// runs (accelerator, pid, since when, the network it is on and its addresses) and how to reach it (graphical console window,
// SPICE through remote-viewer on the host, the serial console tab).
import { Copy, MonitorPlay, MonitorUp } from 'lucide-react';
import { useEffect, useState } from 'react';
import type { ViewerSupport } from '../../../../src-shared/api/app-api.js';
import { toErrorShape } from '../../../../src-shared/errors.js';
import type { VmConsoleInfo, VmInfo } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { formatMiB, isLive } from '../../lib/vm-format.js';
import { consoleWindowUrl } from '../../lib/vm-route.js';
import { openConsoleWindow } from './vm-context.js';
import { VmNetworkFacts } from './VmNetworkFacts.js';

export function VmOverview({ vm }: { vm: VmInfo }) {
  const { client } = useServices();
  const d = vm.definition;
  const live = isLive(vm.state);
  const [consoles, setConsoles] = useState<VmConsoleInfo | null>(null);
  const [copied, setCopied] = useState(false);
  const [viewer, setViewer] = useState<ViewerSupport | null>(null);
  const [opening, setOpening] = useState(false);
  const [viewerNote, setViewerNote] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    let stale = false;
    // Asked of main, not the helper: main is the one that starts remote-viewer, in its own session.
    client.call('vm.viewerSupport', {}).then(
      (support) => !stale && setViewer(support),
      () => !stale && setViewer(null),
    );
    return () => {
      stale = true;
    };
  }, [client]);

  useEffect(() => {
    if (!live) return setConsoles(null);
    let stale = false;
    client.call('vm.consoleInfo', { name: d.name }).then(
      (info) => !stale && setConsoles(info),
      () => !stale && setConsoles(null),
    );
    return () => {
      stale = true;
    };
  }, [client, d.name, live]);

  const source = d.kernel ? `Kernel ${d.kernel.kernel}` : d.iso ? `ISO ${d.iso}` : d.disks[0] ? `Disk ${d.disks[0].path}` : 'Nothing to boot';
  // A saved host's socket is there, not here: the CLI carries it over ssh as the button does.
  const spiceCommand = consoles?.spice ? (client.isLocal ? `remote-viewer ${consoles.spice.uri}` : `nova --host ${client.host} vm viewer ${d.name}`) : null;
  const openViewer = async () => {
    setOpening(true);
    setViewerNote(null);
    try {
      const { pid } = await client.call('vm.openViewer', { name: d.name, host: client.host });
      setViewerNote({ ok: true, text: `remote-viewer is open (pid ${pid}); close its window when done.` });
    } catch (err) {
      setViewerNote({ ok: false, text: `Could not open remote-viewer: ${toErrorShape(err).message}` });
    } finally {
      setOpening(false);
    }
  };
  return (
    <div className="vm-overview" data-method="vm.get">
      <section className="vm-card" aria-labelledby="vm-facts">
        <h2 id="vm-facts" className="vm-card__title">Machine</h2>
        <dl className="vm-facts">
          <dt>OS type</dt>
          <dd>{d.osType}</dd>
          <dt>Machine</dt>
          <dd>{d.machine}</dd>
          <dt>CPUs</dt>
          <dd>{d.cpus}</dd>
          <dt>Memory</dt>
          <dd>{formatMiB(d.memoryMiB)}</dd>
          <dt>Firmware</dt>
          <dd>
            {d.firmware === 'uefi-secure' ? 'UEFI with Secure Boot' : d.firmware === 'uefi' ? 'UEFI' : 'BIOS'}
            {d.tpm ? ', TPM 2.0' : ''}
          </dd>
          <dt>Accelerator</dt>
          <dd>
            {d.accel}
            {vm.accel && ` (running on ${vm.accel.toUpperCase()})`}
          </dd>
          <dt>Boots from</dt>
          <dd className="vm-facts__path">{source}</dd>
          {d.kernel?.initrd && (
            <>
              <dt>Initrd</dt>
              <dd className="vm-facts__path">{d.kernel.initrd}</dd>
            </>
          )}
          {d.kernel?.cmdline && (
            <>
              <dt>Command line</dt>
              <dd className="vm-facts__path">{d.kernel.cmdline}</dd>
            </>
          )}
          <dt>Disks</dt>
          <dd>
            {d.disks.length === 0
              ? 'none'
              : d.disks.map((disk) => (
                  <span key={disk.id} className="vm-facts__path vm-facts__disk">
                    {disk.id}: {disk.path} ({disk.format}
                    {disk.readOnly ? ', read-only' : ''})
                  </span>
                ))}
          </dd>
          <VmNetworkFacts vm={vm} />
          {vm.pid !== null && (
            <>
              <dt>QEMU pid</dt>
              <dd>{vm.pid}</dd>
            </>
          )}
          {vm.startedAt && (
            <>
              <dt>Started</dt>
              <dd>
                <time dateTime={vm.startedAt}>{new Date(vm.startedAt).toLocaleString()}</time>
              </dd>
            </>
          )}
        </dl>
      </section>
      <section className="vm-card" aria-labelledby="vm-consoles">
        <h2 id="vm-consoles" className="vm-card__title">Consoles</h2>
        {!live && <p className="muted">Start the VM to reach its consoles.</p>}
        {live && d.display.vnc && d.machine === 'q35' && (
          <p>
            <button type="button" className="button" data-method="vm.consoleInfo" onClick={() => openConsoleWindow(d.name, consoleWindowUrl(d.name, client.host))}>
              <MonitorPlay aria-hidden="true" size={14} />
              Open console
            </button>{' '}
            <span className="muted">The screen in its own window, with fullscreen and key capture.</span>
          </p>
        )}
        {live && d.machine === 'microvm' && <p className="muted">microvm has no graphical display: use the serial console.</p>}
        {spiceCommand && (
          <div className="vm-spice">
            {viewer?.available ? (
              <p>
                <button type="button" className="button" data-method="vm.openViewer" onClick={() => void openViewer()} disabled={opening}>
                  <MonitorUp aria-hidden="true" size={14} />
                  {opening ? 'Opening…' : 'Open in remote-viewer'}
                </button>{' '}
                <span className="muted">SPICE in its own window on this host, with USB, clipboard and a full keyboard grab.</span>
              </p>
            ) : (
              viewer?.problem && <p className="muted vm-spice__problem">{viewer.problem}</p>
            )}
            {viewerNote && (
              <p className={viewerNote.ok ? 'vm-spice__note' : 'vm-spice__note vm-spice__note--error'} role={viewerNote.ok ? 'status' : 'alert'}>
                {viewerNote.text}
              </p>
            )}
            <p>
              {viewer?.available ? 'Or from any shell on this machine (remote-viewer, package virt-viewer):' : 'SPICE: open it with remote-viewer (package virt-viewer) on this machine:'}
            </p>
            <div className="vm-spice__command">
              <code>{spiceCommand}</code>
              <button
                type="button"
                className="button vm-btn-sm"
                onClick={() => {
                  void navigator.clipboard?.writeText(spiceCommand).then(() => setCopied(true), () => setCopied(false));
                }}
              >
                <Copy aria-hidden="true" size={13} />
                {copied ? 'Copied' : 'Copy'}
              </button>
            </div>
          </div>
        )}
        {live && <p className="muted">The serial console is in the Serial console tab; its log is {consoles?.serialLog ?? '…'}.</p>}
      </section>
    </div>
  );
}
