// What the overview says of the guest agent: the guest's own addresses per interface when it
// answers, that it does not answer when its channel is there but silent, nothing otherwise.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { VmGuestAgentFacts } from './VmGuestAgentFacts.js';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();

describe('VmGuestAgentFacts', () => {
  it("lists each interface's addresses as the guest reports them", () => {
    const html = renderToStaticMarkup(
      <VmGuestAgentFacts
        running
        agent={{ answering: true, interfaces: [{ name: 'eth0', mac: '52:54:00:12:34:56', addresses: ['10.250.2.57/24', 'fe80::1/64'] }, { name: 'eth1', mac: null, addresses: [] }] }}
      />,
    );
    expect(text(html)).toBe('Guest agent eth0: 10.250.2.57/24, fe80::1/64 (52:54:00:12:34:56)');
  });

  it('says when the agent is there but does not answer', () => {
    expect(text(renderToStaticMarkup(<VmGuestAgentFacts running agent={{ answering: false, interfaces: [] }} />))).toContain('not answering');
  });

  it('shows nothing for a stopped VM or one without the channel', () => {
    expect(renderToStaticMarkup(<VmGuestAgentFacts running={false} agent={{ answering: true, interfaces: [] }} />)).toBe('');
    expect(renderToStaticMarkup(<VmGuestAgentFacts running agent={undefined} />)).toBe('');
  });
});
