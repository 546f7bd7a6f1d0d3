// One Ctrl+C for a command that runs several helper calls at once (nova up): the first
// interrupt aborts the command's own work and reaches every call in flight (each cancels
// its helper operation); callOperation's handlers register here instead of on SIGINT.
export class InterruptHub {
  readonly controller = new AbortController();
  private readonly handlers = new Set<() => void>();
  private readonly onSigint = () => this.interrupt();

  listen(): this {
    process.on('SIGINT', this.onSigint);
    return this;
  }

  close(): void {
    process.off('SIGINT', this.onSigint);
  }

  interrupt(): void {
    this.controller.abort();
    for (const h of [...this.handlers]) h();
  }

  /** callOperation's `onInterrupt`. */
  readonly register = (handler: () => void): (() => void) => {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  };
}
