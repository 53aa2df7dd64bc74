import { useState } from 'preact/hooks';
import type { Task } from '../../../server/protocol.ts';
import type { SignedIn } from '../session/session-state.ts';
import { agents, tasks } from '../state/control-state.ts';
import type { PeerRuntime } from '../state/peer-runtime.ts';
import { chooseTarget, localCalls, submitTask, type LocalCall } from '../state/task-state.ts';

const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
const age = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)}s` : ms < 3_600_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 3_600_000)}h`);

function TaskForm(props: { runtime: PeerRuntime | undefined; session: SignedIn }) {
  const skills = [...new Set(agents.value.flatMap((a) => a.skills.map((s) => s.name)))].sort();
  const [skill, setSkill] = useState('');
  const [agentId, setAgentId] = useState('');
  const [input, setInput] = useState('{}');
  const [viaQueue, setViaQueue] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  // `echo` is the friendliest first try; otherwise the first skill alphabetically.
  const chosen = skill || (skills.includes('echo') ? 'echo' : skills[0]) || '';
  const offering = agents.value.filter((a) => a.skills.some((s) => s.name === chosen));
  const submit = (e: Event) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = input.trim() ? JSON.parse(input) : undefined;
    } catch (err) {
      return setProblem(`Input is not JSON: ${(err as Error).message}`);
    }
    setProblem(undefined);
    const target = chooseTarget(chosen, agentId || undefined, agents.value, props.session.identity.peerId);
    void submitTask({ skill: chosen, input: parsed, target, viaQueue }, { call: props.runtime!.call, api: props.session.api, mesh: props.runtime!.mesh });
  };
  return (
    <form class="stack" onSubmit={submit} data-testid="task-form">
      <div class="row">
        <label class="field" style="flex:1">Skill
          <select name="skill" value={chosen} onChange={(e) => (setSkill(e.currentTarget.value), setAgentId(''))}>
            {skills.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label class="field" style="flex:2">Agent
          <select name="agent" value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)}>
            <option value="">any (best link, else the server's pick)</option>
            {offering.map((a) => <option key={a.id} value={a.id}>{a.id} ({a.health})</option>)}
          </select>
        </label>
      </div>
      <label class="field">Input (JSON)
        <textarea name="input" rows={3} value={input} onInput={(e) => setInput(e.currentTarget.value)} class="mono" />
      </label>
      {problem && <p class="error small" role="alert">{problem}</p>}
      <div class="row end">
        <label class="small" title="POST /api/tasks: the server assigns an agent, which runs it and reports back; no DataChannel needed">
          <input type="checkbox" name="via-queue" checked={viaQueue} onChange={(e) => setViaQueue(e.currentTarget.checked)} /> via server queue
        </label>
        <button disabled={!chosen || !props.runtime}>Run task</button>
      </div>
    </form>
  );
}

function CallItem(props: { c: LocalCall }) {
  const c = props.c;
  return (
    <li data-call={c.id} data-state={c.state} data-via={c.via}>
      <div class="row small">
        <span class={`dot ${c.state === 'running' ? 'pending' : c.state}`} /> <strong>{c.skill}</strong>
        <span class="muted truncate">→ {c.target}</span>
        {c.via && <span class={`chip tier-${c.via}`}>{c.via}</span>}
        <span class="muted">{c.state}{c.durationMs !== undefined ? ` in ${c.durationMs.toFixed(0)} ms` : ''}</span>
      </div>
      {c.chunks.length > 0 && <pre class="out" data-testid="call-chunks">{c.chunks.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('')}</pre>}
      {c.output !== undefined && <pre class="out" data-testid="call-output">{json(c.output)}</pre>}
      {c.error && <p class="error small">{c.error}</p>}
    </li>
  );
}

function TaskTable(props: { list: Task[] }) {
  const [open, setOpen] = useState<string | undefined>();
  if (!props.list.length) return <p class="muted">No tasks in the queue.</p>;
  const now = Date.now();
  return (
    <table class="tasks" data-testid="task-table">
      <thead><tr><th>State</th><th>Skill</th><th>Agent</th><th>Age</th></tr></thead>
      <tbody>
        {props.list.map((t) => [
          <tr key={t.id} class={open === t.id ? 'sel' : ''} onClick={() => setOpen(open === t.id ? undefined : t.id)} data-task={t.id} data-state={t.state}>
            <td><span class={`dot ${t.state}`} /> {t.state}</td>
            <td>{t.skill}</td>
            <td class="mono truncate">{t.agentId ?? t.targetPeer ?? '—'}</td>
            <td>{age(now - t.createdAt)}</td>
          </tr>,
          open === t.id && (
            <tr key={`${t.id}-d`}><td colSpan={4}>
              <div class="small muted">id {t.id} · from {t.submitter} · expires {new Date(t.expiresAt).toLocaleTimeString()}</div>
              <pre class="out">{json({ input: t.input, output: t.output, error: t.error })}</pre>
            </td></tr>
          ),
        ])}
      </tbody>
    </table>
  );
}

/** Submit a task to a skill; this tab's calls with streamed results; the server's task queue. */
export function TasksView(props: { runtime: PeerRuntime | undefined; session: SignedIn }) {
  return (
    <div class="grid two">
      <section class="panel stack">
        <h2>Run a task</h2>
        <TaskForm runtime={props.runtime} session={props.session} />
        <h2>This tab's tasks</h2>
        {localCalls.value.length ? <ul class="list" data-testid="call-list">{localCalls.value.map((c) => <CallItem key={c.id} c={c} />)}</ul> : <p class="muted">None yet.</p>}
      </section>
      <section class="panel"><h2>Task queue</h2><TaskTable list={tasks.value} /></section>
    </div>
  );
}
