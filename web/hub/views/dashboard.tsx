import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AgentView } from '../../../server/protocol.ts';
import type { SignedIn } from '../session/session-state.ts';
import { agents, controlError, startControlPolling, topology } from '../state/control-state.ts';
import { agentTransports } from '../state/agent-transports.ts';
import { links, livePeers } from '../state/mesh-state.ts';
import { startPeerRuntime, type PeerRuntime } from '../state/peer-runtime.ts';
import { ChatView } from './chat-view.tsx';
import { PeerList, peerRows } from './peer-list.tsx';
import { StatusBar } from './status-bar.tsx';
import { TasksView } from './tasks-view.tsx';
import { TopologyGraph } from './topology-graph.tsx';

/** The admin tools (and the QR encoder) load on first use, outside the initial bundle. */
function LazyAdmin(props: { session: SignedIn }) {
  const [View, setView] = useState<FunctionComponent<{ session: SignedIn }> | undefined>();
  const [failed, setFailed] = useState<string | undefined>();
  const load = () => {
    setFailed(undefined);
    import('./admin-view.tsx').then((m) => setView(() => m.AdminView), (err: Error) => setFailed(err.message));
  };
  useEffect(load, []);
  if (View) return <View session={props.session} />;
  // A redeploy removes old chunks; say so instead of spinning forever.
  if (failed) return <p class="notice" role="alert">Could not load the admin tools ({failed}). <button class="ghost small" onClick={load}>Retry</button> or reload the page.</p>;
  return <p class="row"><span class="spinner" /> Loading admin tools…</p>;
}

type Tab = 'mesh' | 'tasks' | 'chat' | 'admin';

/** The signed-in hub: starts this tab's peer and shows the mesh, tasks, chat and admin views. */
export function Dashboard(props: { session: SignedIn }) {
  const { session } = props;
  const [tab, setTab] = useState<Tab>('mesh');
  const [runtime, setRuntime] = useState<PeerRuntime | undefined>();
  const [runtimeError, setRuntimeError] = useState<string | undefined>();
  const [chatWith, setChatWith] = useState<AgentView | undefined>();
  useEffect(() => {
    // The control plane works even when this tab cannot join the mesh, so it polls on its own.
    const polling = startControlPolling(session.api, session.role === 'admin');
    let stopped = false;
    let started: PeerRuntime | undefined;
    startPeerRuntime(session, () => void polling.refresh()).then(
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
  const tabs: Array<[Tab, string]> = [['mesh', 'Mesh'], ['tasks', 'Tasks'], ['chat', 'Chat'], ...(session.role === 'admin' ? [['admin', 'Admin'] as [Tab, string]] : [])];
  const openChat = (a: AgentView) => (setChatWith(a), setTab('chat'));
  return (
    <>
      <StatusBar session={session} />
      <div class="shell">
        <nav class="tabs">
          {tabs.map(([id, label]) => (
            <button key={id} aria-current={tab === id ? 'page' : undefined} onClick={() => setTab(id)} data-tab={id}>{label}</button>
          ))}
        </nav>
        {runtimeError && <p class="notice error" role="alert">This tab could not join the mesh: {runtimeError}</p>}
        {controlError.value && <p class="notice small">Control plane: {controlError.value}</p>}
        {tab === 'mesh' && (
          <div class="grid two">
            <section class="panel"><h2>Topology</h2><TopologyGraph nodes={topology.value.nodes} edges={topology.value.edges} self={self} /></section>
            <section class="panel"><h2>Peers and agents</h2>
              <PeerList rows={peerRows(agents.value, livePeers.value, self)} links={links.value} self={self} transports={agentTransports.value} onChat={openChat} />
            </section>
          </div>
        )}
        {tab === 'tasks' && <TasksView runtime={runtime} session={session} />}
        {tab === 'chat' && <ChatView runtime={runtime} self={self} initial={chatWith} />}
        {tab === 'admin' && <LazyAdmin session={session} />}
      </div>
    </>
  );
}
