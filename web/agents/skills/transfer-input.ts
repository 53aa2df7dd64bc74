import * as Comlink from 'comlink';
import { transferablesOf } from '../../mesh/agents.ts';

/**
 * Marks the binary values in a skill's input for transfer (not copy) to the worker that runs it:
 * the input came off the wire and belongs to this call alone. Outputs come back copied (a skill
 * may keep the buffers it returns). Use as a comlink argument: `remote.run(id, skill, transferring(input))`.
 */
export function transferring<T>(input: T): T {
  const buffers = transferablesOf(input);
  return buffers.length ? Comlink.transfer(input, buffers) : input;
}
