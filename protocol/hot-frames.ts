import { PEER_ID_PATTERN } from './common.ts';
import { MAX_MORE_CANDIDATES, NEGOTIATION_LIMITS as L, SID_PATTERN, type ClientFrame } from './frames.ts';

/** The frames most of the relay traffic is made of: one SDP and a burst of ICE candidates per link. */
export type NegotiationFrame = Extract<ClientFrame, { type: 'offer' | 'answer' | 'candidate' }>;

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPeerId = (x: unknown): x is string => typeof x === 'string' && PEER_ID_PATTERN.test(x);
const isText = (x: unknown, max: number): x is string => typeof x === 'string' && x.length >= 1 && x.length <= max;
const isSid = (x: unknown) => x === undefined || (isText(x, L.sid) && SID_PATTERN.test(x));
const isFlag = (x: unknown) => x === undefined || typeof x === 'boolean';

/**
 * `ClientFrameSchema` for valid offer, answer and candidate frames, without valibot's generic
 * machinery (about 15 % of the server's CPU per relayed frame, measured with the signaling
 * benchmark). `json` is a `JSON.parse` result. Returns exactly what the schema would output, or
 * undefined for anything else (another type, any invalid field), which then goes through the
 * schema, so errors keep one wording. It may only ever accept less than the schema: the property
 * test in test/server/hot-frames.test.ts checks both against each other.
 */
export function acceptNegotiationFrame(json: unknown): NegotiationFrame | undefined {
  if (!isObject(json)) return undefined;
  const { type, to, from, payload } = json;
  if ((type !== 'offer' && type !== 'answer' && type !== 'candidate') || !isPeerId(to)) return undefined;
  if (from !== undefined && !isPeerId(from)) return undefined;
  const out = type === 'candidate' ? candidatePayload(payload) : sdpPayload(payload);
  if (out === undefined) return undefined;
  // The schema's key order (type, to, from, payload), with absent optional keys left out.
  return (from === undefined ? { type, to, payload: out } : { type, to, from, payload: out }) as NegotiationFrame;
}

function sdpPayload(p: unknown): Json | undefined {
  if (!isObject(p)) return undefined;
  const { sdp, sid, iceRestart, repair, candidatesInAnswer, candidates } = p;
  if (!isText(sdp, L.sdp) || !isSid(sid) || !isFlag(iceRestart) || !isFlag(repair) || !isFlag(candidatesInAnswer)) return undefined;
  const out: Json = { sdp };
  if (sid !== undefined) out.sid = sid;
  if (iceRestart !== undefined) out.iceRestart = iceRestart;
  if (repair !== undefined) out.repair = repair;
  if (candidatesInAnswer !== undefined) out.candidatesInAnswer = candidatesInAnswer;
  if (candidates !== undefined) {
    // An answer's first candidates (one per interface): checked here, as it rides on most answers.
    if (!Array.isArray(candidates) || candidates.length > MAX_MORE_CANDIDATES) return undefined;
    const list: Json[] = [];
    for (const c of candidates) {
      const one = candidateFields(c);
      if (!one) return undefined;
      list.push(one);
    }
    out.candidates = list;
  }
  return out;
}

/** One candidate's own fields (`candidate`, `sdpMid`, `sdpMLineIndex`), in the schema's key order. */
function candidateFields(p: unknown): Json | undefined {
  if (!isObject(p)) return undefined;
  const { candidate, sdpMid, sdpMLineIndex } = p;
  if (typeof candidate !== 'string' || candidate.length > L.candidate) return undefined;
  if (sdpMid !== undefined && sdpMid !== null && (typeof sdpMid !== 'string' || sdpMid.length > L.sdpMid)) return undefined;
  if (sdpMLineIndex !== undefined && sdpMLineIndex !== null &&
    (typeof sdpMLineIndex !== 'number' || !Number.isInteger(sdpMLineIndex) || sdpMLineIndex < 0 || sdpMLineIndex > L.sdpMLineIndex)) return undefined;
  const out: Json = { candidate };
  if (sdpMid !== undefined) out.sdpMid = sdpMid;
  if (sdpMLineIndex !== undefined) out.sdpMLineIndex = sdpMLineIndex;
  return out;
}

function candidatePayload(p: unknown): Json | null | undefined {
  if (p === null) return null;
  if (!isObject(p)) return undefined;
  // A batch (`more`) is rare, one per link at most: the schema checks it.
  if (p.more !== undefined || !isSid(p.sid)) return undefined;
  const out = candidateFields(p);
  if (out && p.sid !== undefined) out.sid = p.sid;
  return out;
}
