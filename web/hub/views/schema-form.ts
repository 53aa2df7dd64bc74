import { checkInput, type InputSchema, type JsonType } from '../../agents/skills/input-schema.ts';

/** One input of a form generated from a skill's `inputSchema`. */
export interface FormField {
  name: string;
  kind: 'text' | 'number' | 'integer' | 'boolean' | 'choice' | 'json';
  required: boolean;
  schema: InputSchema;
}

const types = (s: InputSchema): JsonType[] => (s.type === undefined ? [] : [s.type].flat());

/**
 * The fields for an object schema with named properties, or undefined when a form cannot
 * express it (any input, a bare string, binary): then the raw JSON editor is the form.
 */
export function fieldsFor(schema: InputSchema | undefined): FormField[] | undefined {
  if (!schema?.properties || !Object.keys(schema.properties).length) return undefined;
  const t = types(schema);
  if (t.length && !t.includes('object')) return undefined;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => {
    const st = types(s);
    const kind: FormField['kind'] = s.enum ? 'choice'
      : st.length !== 1 ? 'json'
      : st[0] === 'string' ? 'text' : st[0] === 'number' ? 'number' : st[0] === 'integer' ? 'integer' : st[0] === 'boolean' ? 'boolean' : 'json';
    return { name, kind, required: required.has(name), schema: s };
  });
}

export type FormValues = Record<string, string | boolean>;

/** Initial values: each property's `default`, else empty (never a made-up value). */
export function initialValues(fields: FormField[]): FormValues {
  const out: FormValues = {};
  for (const f of fields) {
    const d = f.schema.default;
    out[f.name] = f.kind === 'boolean' ? d === true : d === undefined ? '' : f.kind === 'json' || f.kind === 'choice' ? JSON.stringify(d) : String(d);
  }
  return out;
}

/**
 * Turns form values into the skill's input and checks it against the schema: every invalid field
 * gets its own message (`field: rule`), not only the first.
 */
export function readForm(fields: FormField[], values: FormValues): { input: Record<string, unknown>; problems: Record<string, string> } {
  const input: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (raw === '' || raw === undefined || (f.kind === 'boolean' && raw === false && !f.required)) {
      if (f.required && f.kind !== 'boolean') problems[f.name] = `${f.name}: is required`;
      continue;
    }
    let value: unknown = raw;
    if (f.kind === 'number' || f.kind === 'integer') {
      value = Number(raw);
      if (!Number.isFinite(value as number)) problems[f.name] = `${f.name}: must be a number`;
    } else if (f.kind === 'json' || f.kind === 'choice') {
      try {
        value = JSON.parse(String(raw));
      } catch {
        if (f.kind === 'choice') value = raw;
        else problems[f.name] = `${f.name}: is not valid JSON`;
      }
    }
    if (problems[f.name]) continue;
    const problem = checkInput(f.schema, value, f.name);
    if (problem) problems[f.name] = problem;
    else input[f.name] = value;
  }
  return { input, problems };
}
