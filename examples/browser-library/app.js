// The example's whole program. On your own site: `import { joinMesh } from 'tabmesh/browser'`
// (bundled), or load /lib/tabmesh.js from your tabmesh server as here.
import { joinMesh } from '/lib/tabmesh.js';

const $ = (id) => document.getElementById(id);
const log = (text) => $('log').append(Object.assign(document.createElement('li'), { textContent: text }));
let peer;

/** Skills served by functions in this page. */
const skills = {
  reverse: {
    description: 'Reverses a text, in the page.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    handler: async ({ text }) => [...text].reverse().join(''),
  },
  /** An async generator streams: each yield is a chunk. */
  'count-up': {
    description: 'Yields 1..to, one chunk each.',
    inputSchema: { type: 'object', properties: { to: { type: 'integer', minimum: 1, maximum: 100 } } },
    handler: async function* ({ to = 3 }) {
      for (let n = 1; n <= to; n++) yield n;
      return 'done';
    },
  },
};

function renderPeers() {
  const list = $('peers');
  const select = document.querySelector('#call select[name=peer]');
  const chosen = select.value;
  list.replaceChildren();
  select.replaceChildren(new Option('any peer with the skill', ''));
  for (const p of peer.peers().filter((p) => p.present)) {
    const li = document.createElement('li');
    li.textContent = `${p.peerId} (${p.role ?? 'agent'}) ${p.state}`;
    Object.assign(li.dataset, { peer: p.peerId, state: p.state, tier: p.tier });
    list.append(li);
    select.append(new Option(p.peerId, p.peerId));
  }
  select.value = chosen;
}

/** Invite codes are 12 base32 characters (or a 6-digit pairing code); anything else is an API key. */
const looksLikeInvite = (s) => /^[A-Z2-7]{12}$|^\d{6}$/.test(s.trim().toUpperCase());

async function join(credential, isInvite = looksLikeInvite(credential)) {
  $('status').textContent = 'Joining…';
  $('status').dataset.state = 'joining';
  try {
    peer = await joinMesh({
      ...(isInvite ? { invite: credential } : { apiKey: credential }),
      name: 'library example',
      agentName: 'example',
      skills,
      workers: [{ name: 'example-worker', url: new URL('./worker-skills.js', import.meta.url) }],
      onPairing: () => ($('status').textContent = 'Waiting for an admin to approve this page…'),
    });
  } catch (err) {
    $('status').textContent = `Could not join: ${err.message}`;
    $('status').dataset.state = 'failed';
    return;
  }
  $('status').textContent = `Joined mesh "${peer.mesh}".`;
  $('status').dataset.state = 'joined';
  $('peer-id').textContent = peer.peerId;
  for (const e of ['peer-joined', 'peer-left', 'link']) peer.on(e, renderPeers);
  peer.on('peer-joined', (e) => log(`${e.peerId} joined`));
  peer.on('peer-left', (e) => log(`${e.peerId} left (${e.reason})`));
  peer.on('tier', (e) => log(`link to ${e.peerId}: ${e.tier}`));
  peer.on('fatal', (err) => (($('status').textContent = `Stopped: ${err.message}`), ($('status').dataset.state = 'failed')));
  renderPeers();
}

$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  void join(new FormData(e.target).get('credential'));
});

let running;
let calls = 0;
$('call').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!peer) return;
  const form = new FormData(e.target);
  const out = $('output');
  $('chunks').replaceChildren();
  $('progress').textContent = '';
  for (const k of Object.keys($('progress').dataset)) delete $('progress').dataset[k];
  running = new AbortController();
  $('cancel').disabled = false;
  // data-call numbers the calls, so a reader can tell this call's result from the last one's.
  for (const k of Object.keys(out.dataset)) delete out.dataset[k];
  Object.assign(out.dataset, { state: 'running', call: String(++calls) });
  out.textContent = '…';
  try {
    const input = form.get('input') ? JSON.parse(form.get('input')) : undefined;
    const opts = {
      signal: running.signal,
      onChunk: (c) => $('chunks').append(Object.assign(document.createElement('li'), { textContent: JSON.stringify(c) })),
      // Bytes moved on the link while the call runs: a progress bar for large inputs and outputs.
      onProgress: ({ sentBytes, receivedBytes }) => {
        $('progress').textContent = `${sentBytes} B sent, ${receivedBytes} B received`;
        Object.assign($('progress').dataset, { sent: String(sentBytes), received: String(receivedBytes) });
      },
    };
    const res = form.get('peer')
      ? await peer.call(form.get('peer'), form.get('skill'), input, opts)
      : await peer.callSkill(form.get('skill'), input, opts);
    out.textContent = JSON.stringify(res.output);
    Object.assign(out.dataset, { state: 'done', tier: res.tier, peer: res.peerId });
  } catch (err) {
    out.textContent = `${err.code ?? err.name}: ${err.message}`;
    Object.assign(out.dataset, { state: 'failed', code: err.code ?? err.name });
  } finally {
    $('cancel').disabled = true;
  }
});
$('cancel').addEventListener('click', () => running?.abort());

// `#invite=CODE` or `#key=KEY` joins at once; the fragment leaves the address bar (and history).
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.has('invite') || hash.has('key')) {
  history.replaceState(null, '', location.pathname);
  void join(hash.get('invite') ?? hash.get('key'), hash.has('invite'));
}
