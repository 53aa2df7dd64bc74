import { useEffect, useRef, useState } from 'preact/hooks';
import type { AgentView } from '../../../protocol/index.ts';
import { agents } from '../state/control-state.ts';
import { chatKey, conversations, reachable } from '../state/chat-state.ts';
import type { PeerRuntime } from '../state/peer-runtime.ts';
import { agentLabel } from '../state/peer-names.ts';

/** Chat with any agent of another peer; replies render piece by piece as they stream in. */
export function ChatView(props: { runtime: PeerRuntime | undefined; self: string; initial?: AgentView | undefined }) {
  const others = agents.value.filter((a) => a.peerId !== props.self);
  const [agentId, setAgentId] = useState(props.initial?.id ?? '');
  const [text, setText] = useState('');
  const log = useRef<HTMLDivElement>(null);
  const agent = others.find((a) => a.id === agentId) ?? others[0];
  const target = agent && { peerId: agent.peerId, agent: agent.name };
  const messages = target ? conversations.value[chatKey(target)] ?? [] : [];
  useEffect(() => log.current?.scrollTo(0, log.current.scrollHeight), [messages]);
  const send = (e: Event) => {
    e.preventDefault();
    if (!target || !text.trim() || !props.runtime) return;
    void props.runtime.chat.send(target, text.trim());
    setText('');
  };
  return (
    <section class="panel stack" data-testid="chat" aria-labelledby="chat-h">
      <h2 id="chat-h">Chat</h2>
      <label class="field">Agent
        <select name="chat-agent" value={agent?.id ?? ''} onChange={(e) => setAgentId(e.currentTarget.value)}>
          {others.map((a) => <option key={a.id} value={a.id}>{agentLabel(a)} ({a.health})</option>)}
        </select>
      </label>
      {!others.length && <p class="muted">No other agents in the mesh yet.</p>}
      {target && !reachable(target.peerId) && <p class="notice small" data-testid="chat-offline">Offline: messages are kept on this device and sent when the peer is reachable.</p>}
      <div class="chat-log" ref={log} data-testid="chat-log" aria-live="polite" tabIndex={0} role="log" aria-label="conversation">
        {messages.map((m) => (
          <div key={m.id} class={`msg ${m.who}${m.state === 'queued' ? ' queued' : ''}`} data-who={m.who} data-state={m.state}>
            {m.text}
            {m.state === 'queued' && <div class="small">queued</div>}
            {m.state === 'streaming' && <span class="spinner" />}
            {m.error && <div class="small error">{m.error}</div>}
          </div>
        ))}
      </div>
      <form class="row" onSubmit={send}>
        <input name="message" class="grow-1" aria-label="Message" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="Message" autocomplete="off" />
        <button disabled={!target || !text.trim() || !props.runtime}>Send</button>
      </form>
    </section>
  );
}
