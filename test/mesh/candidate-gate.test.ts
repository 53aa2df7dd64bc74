import { describe, expect, it } from 'vitest';
import { createCandidateGate } from '../../web/mesh/link/candidate-gate.ts';

describe('candidate gate', () => {
  it('sends the candidates it held as one batch when the local side opens, and later ones one by one', () => {
    const sent: string[] = [];
    const batches: string[][] = [];
    const gate = createCandidateGate<string, string>((c) => sent.push(c), () => undefined, (cs) => batches.push(cs));
    gate.local('host-1');
    gate.local('host-2');
    gate.local('srflx-1');
    expect(sent).toEqual([]);
    gate.openLocal();
    expect(batches).toEqual([['host-1', 'host-2', 'srflx-1']]);
    gate.local('relay-1');
    expect(sent).toEqual(['relay-1']);
  });

  it('sends a lone held candidate as it is, and without a batch sender sends each', () => {
    const sent: string[] = [];
    const batches: string[][] = [];
    const one = createCandidateGate<string, string>((c) => sent.push(c), () => undefined, (cs) => batches.push(cs));
    one.local('host-1');
    one.openLocal();
    expect([sent, batches]).toEqual([['host-1'], []]);
    const plain: string[] = [];
    const old = createCandidateGate<string, string>((c) => plain.push(c), () => undefined);
    old.local('a');
    old.local('b');
    old.openLocal();
    expect(plain).toEqual(['a', 'b']);
  });

  it('holds remote candidates until the remote description is set', () => {
    const applied: string[] = [];
    const gate = createCandidateGate<string, string>(() => undefined, (c) => applied.push(c));
    gate.remote('x');
    expect(applied).toEqual([]);
    gate.openRemote();
    gate.remote('y');
    expect(applied).toEqual(['x', 'y']);
  });
});
