// Skills that run in a Web Worker of their own (the library's `workers` option). Same rules as a
// `tabmesh node --skills-module`: every exported function with a `description` is a skill.
export async function shout({ text }) {
  return `${text.toUpperCase()}!`;
}
shout.description = 'Upper-cases a text, in a Worker.';
shout.inputSchema = { type: 'object', properties: { text: { type: 'string', maxLength: 10000 } }, required: ['text'] };
