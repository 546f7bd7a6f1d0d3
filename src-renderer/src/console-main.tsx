// The console window's composition root: its own client (same transport choice as
// the main window) and the noVNC console of the VM named in the URL hash.
import './configure-zod.js';
import './styles/theme.css';
import './styles/app.css';
import './styles/vms.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { VM_NAME_PATTERN } from '../../src-shared/vm.js';
import { ConsoleWindow } from './pages/vms/console/ConsoleWindow.js';
import { consoleWindowTarget } from './lib/vm-route.js';
import { NovaClient } from './transport/nova-client.js';
import { selectTransport } from './transport/select-transport.js';

const { name, host } = consoleWindowTarget(window.location.hash);
// A saved host's VM: every call of this window and its console socket go to that host.
const client = new NovaClient(selectTransport(window)).withHost(host);
const root = document.getElementById('root');
if (!root) throw new Error('console.html has no #root element');
createRoot(root).render(
  <StrictMode>
    {VM_NAME_PATTERN.test(name) ? <ConsoleWindow client={client} name={name} /> : <p className="console-missing">No VM named in this window's address.</p>}
  </StrictMode>,
);
