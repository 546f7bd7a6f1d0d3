// The renderer's composition root: pick the transport, build the client and the
// stores once, and mount the app. Everything below receives them through context.
import './configure-zod.js';
import './styles/theme.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { TokenPage } from './app/TokenPage.js';
import { opensWithoutToken, serverAnswers, tokenOpensNova, watchForStaleToken } from './lib/stale-token.js';
import { forgetToken, takeUrlToken } from './lib/web-token.js';
import { createServices, ServicesContext } from './app/services.js';
import { NovaClient } from './transport/nova-client.js';
import { selectTransport } from './transport/select-transport.js';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
const reactRoot = createRoot(root);
const token = window.nova ? null : takeUrlToken(window);

function showTokenPage(stale = false): void {
  reactRoot.render(
    <StrictMode>
      <TokenPage stale={stale} />
    </StrictMode>,
  );
}

function showApp(): void {
  const client = new NovaClient(selectTransport(window));
  const services = createServices(client);
  if (token !== null) {
    // A token from an earlier run of nova web: forgotten, and asked for again, once Nova refuses it.
    watchForStaleToken({
      token,
      onStateChange: (l) => client.onStateChange(l),
      serverAnswers,
      tokenOpens: (t) => tokenOpensNova(t),
      onStale: () => {
        forgetToken(window);
        client.close();
        showTokenPage(true);
      },
    });
  }
  reactRoot.render(
    <StrictMode>
      <ServicesContext value={services}>
        <App />
      </ServicesContext>
    </StrictMode>,
  );
}

// In a browser without a token, Nova still opens for a client certificate (nova web
// --client-ca), which only an HTTPS page can have: there the socket is tried without a token
// first. Otherwise the token page asks for one rather than show an app that cannot connect.
if (!window.nova && token === null) {
  if (window.location.protocol === 'https:') void opensWithoutToken().then((opens) => (opens ? showApp() : showTokenPage()));
  else showTokenPage();
} else showApp();
