import { afterEach, describe, expect, it, vi } from 'vitest';
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

  describe('take (the answer carries the first candidates)', () => {
    afterEach(() => vi.useRealTimers());

    it('waits for the first local candidate, hands over at most `max`, and openLocal sends the rest after it', async () => {
      const sent: string[] = [];
      const batches: string[][] = [];
      const gate = createCandidateGate<string, string>((c) => sent.push(c), () => undefined, (cs) => batches.push(cs));
      let taken: string[] | undefined;
      const taking = gate.take(2, 60_000).then((cs) => (taken = cs));
      await Promise.resolve();
      expect(taken).toBeUndefined();
      gate.local('host-1');
      gate.local('host-2');
      gate.local('host-3');
      await taking;
      expect(taken).toEqual(['host-1', 'host-2']);
      // Still closed: nothing overtakes the answer that carries them.
      expect([sent, batches]).toEqual([[], []]);
      gate.openLocal();
      expect(sent).toEqual(['host-3']);
    });

    it('gives up after `ms` with nothing gathered; what comes later trickles once open', async () => {
      vi.useFakeTimers();
      const sent: string[] = [];
      const gate = createCandidateGate<string, string>((c) => sent.push(c), () => undefined);
      let taken: string[] | undefined;
      void gate.take(16, 50).then((cs) => (taken = cs));
      await vi.advanceTimersByTimeAsync(49);
      expect(taken).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(taken).toEqual([]);
      gate.openLocal();
      gate.local('relay-1');
      expect(sent).toEqual(['relay-1']);
    });

    it('takes what is already held at once', async () => {
      const gate = createCandidateGate<string, string>(() => undefined, () => undefined);
      gate.local('host-1');
      expect(await gate.take(16, 60_000)).toEqual(['host-1']);
    });
  });
});
