import { useState } from 'preact/hooks';
import type { Task } from '../../../protocol/index.ts';
import type { SignedIn } from '../session/session-state.ts';
import { agents, tasks } from '../state/control-state.ts';
import type { PeerRuntime } from '../state/peer-runtime.ts';
import { chooseTarget, localCalls, submitTask, type LocalCall } from '../state/task-state.ts';
import { agentLabel, peerName } from '../state/peer-names.ts';
import type { InputSchema } from '../../agents/skills/input-schema.ts';
import { fieldsFor, initialValues, readForm, type FormField, type FormValues } from './schema-form.ts';

const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
const age = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)}s` : ms < 3_600_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 3_600_000)}h`);

function Field(props: { f: FormField; value: string | boolean; problem: string | undefined; onChange: (v: string | boolean) => void }) {
  const { f } = props;
  const id = `field-${f.name}`;
  const hint = [f.schema.description, f.required ? 'required' : undefined].filter(Boolean).join('; ');
  const common = { id, name: `in-${f.name}`, 'aria-invalid': props.problem ? true : undefined, 'aria-describedby': props.problem ? `${id}-problem` : undefined };
  if (f.kind === 'boolean') {
    return <label class="check small"><input type="checkbox" {...common} checked={props.value === true} onChange={(e) => props.onChange(e.currentTarget.checked)} /> {f.name}{hint && <span class="muted"> ({hint})</span>}</label>;
  }
  return (
    <div class="field">
      <label for={id}>{f.name}{f.required ? ' *' : ''}</label>
      {f.kind === 'choice' ? (
        <select {...common} value={String(props.value)} onChange={(e) => props.onChange(e.currentTarget.value)}>
          {!f.required && <option value="">(not set)</option>}
          {f.schema.enum!.map((v) => <option key={JSON.stringify(v)} value={JSON.stringify(v)}>{String(v)}</option>)}
        </select>
      ) : f.kind === 'json' ? (
        <textarea {...common} rows={3} class="mono" value={String(props.value)} placeholder="JSON" onInput={(e) => props.onChange(e.currentTarget.value)} />
      ) : (
        f.kind === 'text'
          ? <input {...common} type="text" value={String(props.value)} onInput={(e) => props.onChange(e.currentTarget.value)} />
          : <input {...common} type="number" inputMode="decimal" step={f.kind === 'integer' ? 1 : 'any'} value={String(props.value)}
            min={f.schema.minimum} max={f.schema.maximum} onInput={(e) => props.onChange(e.currentTarget.value)} />
      )}
      {hint && <span class="muted small">{hint}</span>}
      {props.problem && <span class="error small" id={`${id}-problem`} data-problem={f.name}>{props.problem}</span>}
    </div>
  );
}

function TaskForm(props: { runtime: PeerRuntime | undefined; session: SignedIn }) {
  const skills = [...new Set(agents.value.flatMap((a) => a.skills.map((s) => s.name)))].sort();
  const [skill, setSkill] = useState('');
  const [agentId, setAgentId] = useState('');
  const [input, setInput] = useState('{}');
  const [values, setValues] = useState<FormValues>({});
  const [asJson, setAsJson] = useState(false);
  const [viaQueue, setViaQueue] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [problems, setProblems] = useState<Record<string, string>>({});
  // `echo` is the friendliest first try; otherwise the first skill alphabetically.
  const chosen = skill || (skills.includes('echo') ? 'echo' : skills[0]) || '';
  const offering = agents.value.filter((a) => a.skills.some((s) => s.name === chosen));
  const definition = (offering.find((a) => a.id === agentId) ?? offering[0])?.skills.find((s) => s.name === chosen);
  const fields = fieldsFor(definition?.inputSchema as InputSchema | undefined);
  const form = fields && !asJson ? fields : undefined;
  const pick = (name: string) => {
    setSkill(name);
    setAgentId('');
    setAsJson(false);
    setProblem(undefined);
    setProblems({});
    const def = agents.value.flatMap((a) => a.skills).find((s) => s.name === name);
    const f = fieldsFor(def?.inputSchema as InputSchema | undefined);
    setValues(f ? initialValues(f) : {});
    setInput('{}');
  };
  const toggleJson = () => {
    if (!fields) return;
    if (!asJson) setInput(JSON.stringify(readForm(fields, { ...initialValues(fields), ...values }).input, null, 2));
    setAsJson(!asJson);
    setProblems({});
    setProblem(undefined);
  };
  const submit = (e: Event) => {
    e.preventDefault();
    let parsed: unknown;
    if (form) {
      const read = readForm(form, { ...initialValues(form), ...values });
      setProblems(read.problems);
      if (Object.keys(read.problems).length) return setProblem('Some fields need a fix (see above).');
      parsed = read.input;
    } else {
      try {
        parsed = input.trim() ? JSON.parse(input) : undefined;
      } catch (err) {
        return setProblem(`Input is not JSON: ${(err as Error).message}`);
      }
    }
    setProblem(undefined);
    const target = chooseTarget(chosen, agentId || undefined, agents.value, props.session.identity.peerId);
    void submitTask({ skill: chosen, input: parsed, target, viaQueue }, { call: props.runtime!.call, api: props.session.api, mesh: props.runtime!.peer });
  };
  return (
    <form class="stack" onSubmit={submit} data-testid="task-form" noValidate>
      <div class="row">
        <label class="field grow-1">Skill
          <select name="skill" value={chosen} onChange={(e) => pick(e.currentTarget.value)}>
            {skills.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label class="field grow-2">Agent
          <select name="agent" value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)}>
            <option value="">any (best link, else the server's pick)</option>
            {offering.map((a) => <option key={a.id} value={a.id}>{agentLabel(a)} ({a.health})</option>)}
          </select>
        </label>
      </div>
      {definition?.description && <p class="muted small">{definition.description}</p>}
      {form ? (
        <fieldset class="stack" data-testid="schema-form">
          <legend class="small muted">Input</legend>
          {form.map((f) => <Field key={f.name} f={f} value={values[f.name] ?? initialValues([f])[f.name]!} problem={problems[f.name]}
            onChange={(v) => setValues({ ...values, [f.name]: v })} />)}
        </fieldset>
      ) : (
        <label class="field">Input (JSON)
          <textarea name="input" rows={3} value={input} onInput={(e) => setInput(e.currentTarget.value)} class="mono" />
        </label>
      )}
      {fields && <div class="row"><button type="button" class="ghost small" onClick={toggleJson} aria-pressed={asJson}>{asJson ? 'Edit as a form' : 'Edit as JSON'}</button></div>}
      {problem && <p class="error small" role="alert">{problem}</p>}
      <div class="row end">
        <label class="check small" title="POST /api/tasks: the server assigns an agent, which runs it and reports back; no DataChannel needed">
          <input type="checkbox" name="via-queue" checked={viaQueue} onChange={(e) => setViaQueue(e.currentTarget.checked)} /> via server queue
        </label>
        <button disabled={!chosen || !props.runtime}>Run task</button>
      </div>
    </form>
  );
}

/** `basic on pi-kitchen` for an agent id (`peer:name`), a peer's name for a peer id. */
function targetLabel(target: string): string {
  if (target.startsWith('(')) return target;
  const i = target.indexOf(':');
  return i < 0 ? peerName(target) : agentLabel({ peerId: target.slice(0, i), name: target.slice(i + 1) });
}

function CallItem(props: { c: LocalCall }) {
  const c = props.c;
  return (
    <li data-call={c.id} data-state={c.state} data-via={c.via}>
      <div class="row small">
        <span class={`dot ${c.state === 'running' ? 'pending' : c.state}`} /> <strong>{c.skill}</strong>
        <span class="muted" title={c.target}>→ {targetLabel(c.target)}</span>
        {c.via && <span class={`chip tier-${c.via}`}>{c.via}</span>}
        <span class="muted">{c.state}{c.durationMs !== undefined ? ` in ${c.durationMs.toFixed(0)} ms` : ''}</span>
      </div>
      {c.chunks.length > 0 && <pre class="out" tabIndex={0} data-testid="call-chunks">{c.chunks.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('')}</pre>}
      {c.output !== undefined && <pre class="out" tabIndex={0} data-testid="call-output">{json(c.output)}</pre>}
      {c.error && <p class="error small">{c.error}</p>}
    </li>
  );
}

function TaskTable(props: { list: Task[] }) {
  const [open, setOpen] = useState<string | undefined>();
  if (!props.list.length) return <p class="muted">No tasks in the queue.</p>;
  const now = Date.now();
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="task queue">
    <table class="tasks" data-testid="task-table">
      <thead><tr><th>State</th><th>Skill</th><th>Agent</th><th>Age</th></tr></thead>
      <tbody>
        {props.list.map((t) => [
          <tr key={t.id} class={open === t.id ? 'sel' : ''} tabIndex={0} aria-expanded={open === t.id} onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), setOpen(open === t.id ? undefined : t.id))} onClick={() => setOpen(open === t.id ? undefined : t.id)} data-task={t.id} data-state={t.state}>
            <td><span class={`dot ${t.state}`} /> {t.state}</td>
            <td>{t.skill}</td>
            <td><span class="cell-clip" title={t.agentId ?? t.targetPeer}>{t.agentId ?? t.targetPeer ? targetLabel((t.agentId ?? t.targetPeer)!) : '—'}</span></td>
            <td>{age(now - t.createdAt)}</td>
          </tr>,
          open === t.id && (
            <tr key={`${t.id}-d`}><td colSpan={4}>
              <div class="small muted wrap">id {t.id} · from {peerName(t.submitter)} ({t.submitter}) · expires {new Date(t.expiresAt).toLocaleTimeString()}</div>
              <pre class="out" tabIndex={0}>{json({ input: t.input, output: t.output, error: t.error })}</pre>
            </td></tr>
          ),
        ])}
      </tbody>
    </table>
    </div>
  );
}

/** Submit a task to a skill; this tab's calls with streamed results; the server's task queue. */
export function TasksView(props: { runtime: PeerRuntime | undefined; session: SignedIn }) {
  return (
    <div class="grid two">
      <section class="panel stack" aria-labelledby="run-h">
        <h2 id="run-h">Run a task</h2>
        <TaskForm runtime={props.runtime} session={props.session} />
        <h2>This tab's tasks</h2>
        {localCalls.value.length ? <ul class="list" data-testid="call-list">{localCalls.value.map((c) => <CallItem key={c.id} c={c} />)}</ul> : <p class="muted">None yet.</p>}
      </section>
      <section class="panel" aria-labelledby="queue-h"><h2 id="queue-h">Task queue</h2><TaskTable list={tasks.value} /></section>
    </div>
  );
}
