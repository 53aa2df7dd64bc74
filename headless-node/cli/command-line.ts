import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how a command was invoked (exit code 2); the message names the flag and the rule. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the user can act on, printed without a stack trace; `exitCode` defaults to 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Exit codes shared by every command (docs/cli.md lists them). */
export const EXIT = { ok: 0, failed: 1, usage: 2, connection: 3 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];

/** What a command's spec is checked against (`satisfies CommandSpecShape`). */
export type CommandSpecShape = CommandSpec<Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>;

export interface CommandSpec<O extends Options> {
  name: string;
  /** Full `--help` text. */
  help: string;
  options: O;
  /** Positional arguments allowed (default 0). */
  positionals?: number;
}

/**
 * Parses `args` for one command with node:util parseArgs and runs `body`; `--help` prints the
 * help text. UsageError → exit 2 with a pointer to --help; CliError → its exit code; both print
 * one clear line on stderr instead of a stack trace.
 */
export async function runCommand<O extends Options>(
  spec: CommandSpec<O>,
  args: string[],
  body: (values: ParsedValues<O>, positionals: string[]) => Promise<number>,
): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(spec.help);
    return EXIT.ok;
  }
  try {
    let parsed: { values: ParsedValues<O>; positionals: string[] };
    try {
      parsed = parseArgs({ args, options: spec.options, allowPositionals: true, strict: true }) as typeof parsed;
    } catch (err) {
      throw new UsageError(describeParseError(err));
    }
    const max = spec.positionals ?? 0;
    if (parsed.positionals.length > max) {
      throw new UsageError(max === 0 ? `unexpected argument "${parsed.positionals[0]}"` : `unexpected argument "${parsed.positionals[max]}"`);
    }
    return await body(parsed.values, parsed.positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`tabmesh ${spec.name}: ${err.message}\nRun "tabmesh ${spec.name} --help" for usage.`);
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      console.error(`tabmesh ${spec.name}: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}

function describeParseError(err: unknown): string {
  const { code, message } = err as { code?: string; message: string };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1];
    return `unknown option ${flag ?? message}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--?[\w-]+)/.exec(message)?.[1];
    if (/argument missing/.test(message)) return `${flag ?? 'option'} needs a value`;
    if (/does not take an argument/.test(message)) return `${flag ?? 'option'} does not take a value`;
  }
  return message;
}

/** Parses a positive integer flag value, naming the flag and the range when it is not one. */
export function intFlag(flag: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max} (got "${raw}")`);
  return n;
}
