// The renderer's composition root: pick the transport, build the client and the
// stores once, and mount the app. Everything below receives them through context.
import './configure-zod.js';
import './styles/theme.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { forgetUrlToken } from './lib/url-token.js';
import { createServices, ServicesContext } from './app/services.js';
import { NovaClient } from './transport/nova-client.js';
import { selectTransport } from './transport/select-transport.js';

forgetUrlToken(window);
const services = createServices(new NovaClient(selectTransport(window)));

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ServicesContext value={services}>
      <App />
    </ServicesContext>
  </StrictMode>,
);
