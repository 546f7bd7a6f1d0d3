// The renderer's composition root: pick the transport, build the client and the
// stores once, and mount the app. Everything below receives them through context.
import './configure-zod.js';
import './styles/theme.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { TokenPage } from './app/TokenPage.js';
import { takeUrlToken } from './lib/web-token.js';
import { createServices, ServicesContext } from './app/services.js';
import { NovaClient } from './transport/nova-client.js';
import { selectTransport } from './transport/select-transport.js';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// In a browser, no token means no Nova: ask for it rather than show an app that cannot connect.
if (!window.nova && takeUrlToken(window) === null) {
  createRoot(root).render(
    <StrictMode>
      <TokenPage />
    </StrictMode>,
  );
} else {
  const services = createServices(new NovaClient(selectTransport(window)));
  createRoot(root).render(
    <StrictMode>
      <ServicesContext value={services}>
        <App />
      </ServicesContext>
    </StrictMode>,
  );
}
