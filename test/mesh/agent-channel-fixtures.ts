import type { AgentInfo } from '../../protocol/index.ts';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { serveAgentChannel, type AgentChannelServer } from '../../web/mesh/channel/agent-channel-server.ts';
import type { AgentChannelAdopter } from '../../web/mesh/channel/agent-channels.ts';
import type { AgentHost } from '../../web/mesh/agent-host.ts';
import type { Mesh, MeshEvents } from '../../web/mesh/mesh.ts';
import type { MeshPlatform } from '../../web/mesh/platform.ts';
import { clockOf } from '../../web/mesh/platform.ts';
import { waitFor } from './harness.ts';

/**
 * What a browser tab does with its Workers, done in-process so node-datachannel peers can host
 * agent channels: each adopted channel is served by `serveAgentChannel` (the code a Worker runs)
 * on the agent's own AgentHost.
 */
export interface InProcessAdopter extends AgentChannelAdopter {
  /** Every channel adopted so far, with the server running it. */
  readonly served: Array<{ peerId: string; agent: string; server: AgentChannelServer }>;
  /** Makes `adopt` refuse (as a browser that cannot transfer a DataChannel does). */
  refuse: boolean;
  /** Total skill runs on agent channels. */
  runs(): number;
}

export function inProcessAdopter(agents: Array<{ info: AgentInfo; host: AgentHost }>): InProcessAdopter {
  const clock = clockOf({ now: Date.now });
  const served: InProcessAdopter['served'] = [];
  const self: InProcessAdopter = {
    served,
    refuse: false,
    agents: () => agents.map((a) => a.info.name),
    adopt(channel, ctx) {
      if (self.refuse) return false;
      const agent = agents.find((a) => a.info.name === ctx.agent)!;
      const server = serveAgentChannel({ channel, localId: ctx.localId, peerId: ctx.peerId, agent: agent.info, host: agent.host, clock });
      served.push({ peerId: ctx.peerId, agent: ctx.agent, server });
      return true;
    },
    release(peerId) {
      for (const s of served) if (s.peerId === peerId) s.server.close();
    },
    runs: () => served.reduce((n, s) => n + s.server.runs, 0),
  };
  return self;
}

/**
 * A loopback Node platform whose connections record every DataChannel the remote opens (the raw
 * channel objects, so a test can send what no honest peer would), and may rename the channels
 * this side creates (`rename`: label → label, to open channels with labels the code never uses).
 */
export interface RecordingPlatform extends MeshPlatform {
  received: RTCDataChannel[];
  /** Resolves with the next channel the remote opens with `label`. */
  nextChannel(label: string): Promise<RTCDataChannel>;
}

export function recordingPlatform(rename: Record<string, string> = {}, bindAddress = '127.0.0.1'): RecordingPlatform {
  const base = createNodePlatform({ bindAddress });
  const received: RTCDataChannel[] = [];
  const waiting = new Set<{ label: string; resolve: (c: RTCDataChannel) => void }>();
  const Base = base.RTCPeerConnection;
  class Recording extends Base {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('datachannel', (e) => {
        received.push(e.channel);
        for (const w of waiting) if (w.label === e.channel.label) (waiting.delete(w), w.resolve(e.channel));
      });
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      return super.createDataChannel(rename[label] ?? label, init);
    }
  }
  return {
    ...base,
    RTCPeerConnection: Recording,
    received,
    nextChannel: (label) => new Promise((resolve) => waiting.add({ label, resolve })),
  };
}

/** Resolves once `mesh`'s open link to `peerId` lists exactly `agents` as reachable on their own channels. */
export function agentChannelsOf(mesh: Mesh, peerId: string, agents: string[], timeoutMs = 15_000): Promise<unknown> {
  const ok = () => JSON.stringify(mesh.links().find((l) => l.peerId === peerId && l.state === 'open')?.agentChannels) === JSON.stringify(agents);
  return waitFor(mesh, 'link', () => ok(), timeoutMs, ok);
}

/** The next `error` event of `mesh` with `code`. */
export function nextError(mesh: Mesh, code: string, timeoutMs = 15_000): Promise<MeshEvents['error']> {
  return waitFor(mesh, 'error', (e) => e.code === code, timeoutMs) as Promise<MeshEvents['error']>;
}
