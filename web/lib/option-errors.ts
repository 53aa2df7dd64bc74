/**
 * The TypeErrors `joinMesh` throws for bad options, naming the option and the rule. Loaded only
 * when one is thrown: a page whose options are right never loads these words (the library's size
 * budget, docs/browser-library.md "Size"). The checks themselves stay where the options are read.
 */
const MESSAGES = {
  url: () => 'url must be an http(s) origin (no page origin to default to)',
  agentName: (v: unknown) => `agentName "${String(v)}" must be 1-64 chars of a-z 0-9 _ . -`,
  builtinAgents: (v: unknown) => `builtinAgents: "${String(v)}" is not one of basic, page`,
  workerName: (i: unknown) => `workers[${String(i)}].name must be 1-64 chars of a-z 0-9 _ . -`,
  credentials: (given: unknown) => `give exactly one of invite, deviceToken, apiKey, getToken (got ${(given as string[]).length ? (given as string[]).join(', ') : 'none'})`,
  getToken: () => 'getToken must be a function returning a Promise of a JWT',
  emptyCredential: (k: unknown) => `${String(k)} must be a non-empty string`,
  noCredential: () => 'no credential',
};

export type OptionProblem = keyof typeof MESSAGES;

export function optionError(problem: OptionProblem, value?: unknown): TypeError {
  return new TypeError(`joinMesh: ${MESSAGES[problem](value)}`);
}
