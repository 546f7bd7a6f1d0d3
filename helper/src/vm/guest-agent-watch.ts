// Keeps what a running VM's guest agent last said, so vm.get shows the guest's addresses
// without waiting on the guest: a ping and the interfaces every few seconds, in the
// background. A guest that runs no agent costs one short deadline per round. The stop
// and snapshot paths ask `answering` before they use the agent.
import type { GuestAgentInfo } from '../../../src-shared/vm.js';
import { GuestAgentClient } from './guest-agent-client.js';

export const GUEST_AGENT_POLL_MS = 5_000;

export class GuestAgentWatch {
  readonly client: GuestAgentClient;
  private last: GuestAgentInfo = { answering: false, interfaces: [] };
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(socketPath: string, pollMs = GUEST_AGENT_POLL_MS) {
    this.client = new GuestAgentClient(socketPath);
    const round = async () => {
      await this.refresh();
      if (!this.stopped) this.timer = setTimeout(() => void round(), pollMs).unref();
    };
    void round();
  }

  get info(): GuestAgentInfo {
    return this.last;
  }

  get answering(): boolean {
    return this.last.answering;
  }

  /** Asks the agent now; what it says (or that it is silent) is kept. */
  async refresh(): Promise<GuestAgentInfo> {
    const answering = await this.client.ping();
    const interfaces = answering ? await this.client.interfaces().catch(() => this.last.interfaces) : [];
    if (!this.stopped) this.last = { answering, interfaces };
    return this.last;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
