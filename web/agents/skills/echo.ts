import { defineSkill } from './skill-definition.ts';

/** `echo`: returns its input unchanged; the mesh's smallest round trip. */
export const echoSkill = defineSkill<unknown>({
  name: 'echo',
  description: 'Returns its input unchanged.',
  inputSchema: {},
  handler: async (input) => input,
});
