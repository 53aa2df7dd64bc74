import { useEffect, useState } from 'preact/hooks';
import type { AgentView } from '../../../protocol/index.ts';
import type { SignedIn } from '../session/session-state.ts';
import { agents, controlError, pairingRequests, startControlPolling, topology } from '../state/control-state.ts';
import { agentTransports } from '../state/agent-transports.ts';
import { meshLinks } from '../state/mesh-links.ts';
import { links, livePeers } from '../state/mesh-state.ts';
import { peerNames, selfPeerId } from '../state/peer-names.ts';
import type { PeerRuntime } from '../state/peer-runtime.ts';
import { NextTask } from './next-task.tsx';
import { PeerList, peerRows } from './peer-list.tsx';
import { StatusBar } from './status-bar.tsx';
import { LazyView } from './lazy-view.tsx';
import { TopologyGraph } from './topology-graph.tsx';

/** The admin tools (and the QR encoder) load on first use, outside the initial bundle. */
function LazyAdmin(props: { session: SignedIn; pick: 'AdminView' | 'GetStarted' }) {
  return <LazyView what={props.pick === 'AdminView' ? 'admin tools' : 'invite tools'} props={{ session: props.session }}
    load={async () => (await import('./admin-view.tsx'))[props.pick]} />;
}

type Tab = 'mesh' | 'tasks' | 'chat' | 'admin';

/** Nobody else is here yet: what to do next instead of a lone circle. */
function EmptyMesh(props: { session: SignedIn }) {
  return (
    <section class="panel stack welcome" aria-labelledby="welcome-h" data-testid="empty-mesh">
      <h2 id="welcome-h">Your mesh has only this tab so far</h2>
      {props.session.role === 'admin'
        ? <><p>Add devices in two ways: invite a phone or laptop with a link or QR code, or add a Raspberry Pi (or any computer with Node.js) with one command.</p><LazyAdmin session={props.session} pick="GetStarted" /></>
        : <p>Ask your admin for an invite link for each device you want to add; a device joins once it opens the link.</p>}
    </section>
  );
}

function MeshView(props: { session: SignedIn; openChat: (a: AgentView) => void }) {
  const self = props.session.identity.peerId;
  const names = peerNames.value;
  const ids = [...names.keys()];
  if (ids.every((id) => id === self)) return <EmptyMesh session={props.session} />;
  return (
    <div class="grid two">
      <section class="panel" aria-labelledby="topology-h"><h2 id="topology-h">Topology</h2>
        <TopologyGraph ids={ids} nodes={topology.value.nodes} links={meshLinks.value} names={names} self={self} />
      </section>
      <section class="panel" aria-labelledby="peers-h"><h2 id="peers-h">Peers and agents</h2>
        <NextTask><PeerList rows={peerRows(agents.value, livePeers.value, self)} links={links.value} self={self} names={names} transports={agentTransports.value} onChat={props.openChat} /></NextTask>
      </section>
    </div>
  );
}

/** The signed-in hub: starts this tab's peer and shows the mesh, tasks, chat and admin views. */
export function Dashboard(props: { session: SignedIn }) {
  const { session } = props;
  const [tab, setTab] = useState<Tab>('mesh');
  const [runtime, setRuntime] = useState<PeerRuntime | undefined>();
  const [runtimeError, setRuntimeError] = useState<string | undefined>();
  const [chatWith, setChatWith] = useState<AgentView | undefined>();
  selfPeerId.value = session.identity.peerId;
  useEffect(() => {
    // The control plane works even when this tab cannot join the mesh, so it polls on its own.
    const polling = startControlPolling(session.api, session.role === 'admin');
    let stopped = false;
    let started: PeerRuntime | undefined;
    // The mesh core, the Worker host and chat load after the first screen is up: evaluated in
    // one task with the rest they made the first visit's longest task (docs/hub.md "Size").
    import('../state/peer-runtime.ts').then((m) => m.startPeerRuntime(session, () => void polling.refresh())).then(
      (r: PeerRuntime) => (stopped ? void r.stop() : ((started = r), setRuntime(r))),
      (err: Error) => setRuntimeError(err.message),
    );
    return () => {
      stopped = true;
      polling.stop();
      void started?.stop();
    };
  }, [session]);

  const self = session.identity.peerId;
  const pending = session.role === 'admin' ? pairingRequests.value.filter((r) => r.status === 'pending').length : 0;
  const tabs: Array<[Tab, string]> = [['mesh', 'Mesh'], ['tasks', 'Tasks'], ['chat', 'Chat'], ...(session.role === 'admin' ? [['admin', 'Admin'] as [Tab, string]] : [])];
  const openChat = (a: AgentView) => (setChatWith(a), setTab('chat'));
  return (
    <>
      <StatusBar session={session} />
      <nav class="tabs shell" aria-label="Views">
        {tabs.map(([id, label]) => (
          <button key={id} aria-current={tab === id ? 'page' : undefined} onClick={() => setTab(id)} data-tab={id}>
            {label}
            {id === 'admin' && pending > 0 && <span class="badge" data-testid="pending-badge" aria-label={`${pending} pairing request${pending === 1 ? '' : 's'} waiting`}>{pending}</span>}
          </button>
        ))}
      </nav>
      <main class="shell" data-view={tab}>
        {runtimeError && <p class="notice error" role="alert">This tab could not join the mesh: {runtimeError}. Reload the page to try again.</p>}
        {controlError.value && <p class="notice small">The mesh overview may be out of date: {controlError.value}</p>}
        {tab === 'mesh' && <MeshView session={session} openChat={openChat} />}
        {tab === 'tasks' && <LazyView what="tasks view" props={{ runtime, session }} load={async () => (await import('./tasks-view.tsx')).TasksView} />}
        {tab === 'chat' && <LazyView what="chat" props={{ runtime, self, initial: chatWith }} load={async () => (await import('./chat-view.tsx')).ChatView} />}
        {tab === 'admin' && <LazyAdmin session={session} pick="AdminView" />}
      </main>
    </>
  );
}
