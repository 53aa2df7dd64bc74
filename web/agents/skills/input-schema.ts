/**
 * The JSON-schema subset a skill uses to describe its input. Small on purpose: it runs in Web
 * Workers and worker_threads alike, needs no code generation (CSP-safe, unlike ajv), and its
 * error messages name the field and the rule.
 */
/** JSON's types, plus `binary`: a `Uint8Array` or `ArrayBuffer` (it travels as raw bytes, see docs/protocol.md). */
export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null' | 'binary';

export interface InputSchema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, InputSchema>;
  required?: string[];
  /** `false` rejects unknown properties; a schema checks them. Default: allowed. */
  additionalProperties?: boolean | InputSchema;
  items?: InputSchema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  /** Characters of a string, bytes of a binary value. */
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
}

const TYPES: readonly JsonType[] = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null', 'binary'];
const NUMERIC_KEYS = ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const;
const KNOWN_KEYS = new Set(['type', 'description', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'pattern', 'default', 'title', 'examples', ...NUMERIC_KEYS]);

function typeOf(value: unknown): JsonType | 'undefined' | 'other' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string': return 'string';
    case 'boolean': return 'boolean';
    case 'number': return Number.isFinite(value) ? 'number' : 'other';
    // Bytes are never walked key by key (a 32 MB Uint8Array has 32 M of them).
    case 'object': return value instanceof Uint8Array || value instanceof ArrayBuffer ? 'binary' : 'object';
    case 'undefined': return 'undefined';
    default: return 'other';
  }
}

function matchesType(value: unknown, type: JsonType): boolean {
  const actual = typeOf(value);
  if (type === 'integer') return actual === 'number' && Number.isInteger(value);
  return actual === type;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeOf(v) === 'object';

/**
 * Checks a schema itself (skills modules are user code): returns the first problem as
 * `path: rule`, or undefined when the schema is usable.
 */
export function checkSchema(schema: unknown, path = 'inputSchema'): string | undefined {
  if (!isRecord(schema)) return `${path}: must be an object`;
  for (const key of Object.keys(schema)) {
    if (!KNOWN_KEYS.has(key)) return `${path}.${key}: unsupported keyword (supported: ${[...KNOWN_KEYS].join(', ')})`;
  }
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  for (const t of types) if (!TYPES.includes(t as JsonType)) return `${path}.type: must be one of ${TYPES.join(', ')}`;
  for (const key of NUMERIC_KEYS) {
    if (schema[key] !== undefined && typeOf(schema[key]) !== 'number') return `${path}.${key}: must be a number`;
  }
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((r) => typeof r === 'string'))) {
    return `${path}.required: must be an array of property names`;
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) return `${path}.enum: must be an array`;
  if (schema.pattern !== undefined) {
    if (typeof schema.pattern !== 'string') return `${path}.pattern: must be a string`;
    try {
      new RegExp(schema.pattern, 'u');
    } catch {
      return `${path}.pattern: is not a valid regular expression`;
    }
  }
  if (schema.properties !== undefined) {
    if (!isRecord(schema.properties)) return `${path}.properties: must be an object`;
    for (const [name, sub] of Object.entries(schema.properties)) {
      const problem = checkSchema(sub, `${path}.properties.${name}`);
      if (problem) return problem;
    }
  }
  if (schema.items !== undefined) return checkSchema(schema.items, `${path}.items`);
  if (isRecord(schema.additionalProperties)) return checkSchema(schema.additionalProperties, `${path}.additionalProperties`);
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== 'boolean') {
    return `${path}.additionalProperties: must be a boolean or a schema`;
  }
  return undefined;
}

const describeValue = (value: unknown): string => {
  const t = typeOf(value);
  if (t !== 'other') return t;
  return typeof value === 'number' ? String(value) : typeof value;
};

/**
 * Validates `value` against `schema`; returns the first problem as `path: rule` (path starts at
 * `input`), or undefined when the value is valid.
 */
export function checkInput(schema: InputSchema, value: unknown, path = 'input'): string | undefined {
  if (value === undefined) return `${path}: is required`;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) return `${path}: must be ${types.join(' or ')} (got ${describeValue(value)})`;
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) return `${path}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `${path}: must be >= ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `${path}: must be <= ${schema.maximum}`;
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `${path}: must be at least ${schema.minLength} characters`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path}: must be at most ${schema.maxLength} characters`;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return `${path}: must match /${schema.pattern}/`;
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    if (schema.minLength !== undefined && value.byteLength < schema.minLength) return `${path}: must be at least ${schema.minLength} bytes`;
    if (schema.maxLength !== undefined && value.byteLength > schema.maxLength) return `${path}: must be at most ${schema.maxLength} bytes`;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return `${path}: must have at least ${schema.minItems} items`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${path}: must have at most ${schema.maxItems} items`;
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const problem = checkInput(schema.items, value[i], `${path}[${i}]`);
        if (problem) return problem;
      }
    }
  }
  if (isRecord(value)) return checkObject(schema, value, path);
  return undefined;
}

function checkObject(schema: InputSchema, value: Record<string, unknown>, path: string): string | undefined {
  for (const name of schema.required ?? []) {
    if (value[name] === undefined) return `${path}.${name}: is required`;
  }
  for (const [name, sub] of Object.entries(value)) {
    if (sub === undefined) continue;
    const declared = schema.properties?.[name];
    if (declared) {
      const problem = checkInput(declared, sub, `${path}.${name}`);
      if (problem) return problem;
    } else if (schema.additionalProperties === false) {
      return `${path}.${name}: is not allowed (allowed: ${Object.keys(schema.properties ?? {}).join(', ') || 'none'})`;
    } else if (isRecord(schema.additionalProperties)) {
      const problem = checkInput(schema.additionalProperties, sub, `${path}.${name}`);
      if (problem) return problem;
    }
  }
  return undefined;
}
