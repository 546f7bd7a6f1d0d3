// What a browser shows in web mode when the tab holds no token: the server serves the
// app's code to anyone on 127.0.0.1, but only the printed address opens Nova itself.
export function MissingTokenNotice() {
  return (
    <main className="missing-token">
      <h1>Nova needs the address “nova web” printed</h1>
      <p>
        This page was opened without its access token. Open the full address that <code>nova web</code> printed in its
        terminal (it ends in <code>?token=…</code>); the token stays in this tab only.
      </p>
    </main>
  );
}
