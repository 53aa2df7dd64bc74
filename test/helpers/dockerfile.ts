/** One Dockerfile instruction, continuation lines joined, e.g. `{ op: 'COPY', args: '--from=build /app/bin ./bin' }`. */
export interface DockerInstruction {
  op: string;
  args: string;
}

export interface DockerStage {
  from: string;
  name?: string;
  instructions: DockerInstruction[];
}

/**
 * Splits a Dockerfile into stages (enough of the syntax for our own file: comments, `\` line
 * continuations, `FROM image AS name`), so tests can replay and check what it does.
 */
export function parseDockerfile(text: string): DockerStage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      stages.push({ from, ...(name ? { name } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: args.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/** `KEY=value` pairs of every ENV instruction in `stage` (the `ENV a=1 b=2` form). */
export function stageEnv(stage: DockerStage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((i) => i.op === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return env;
}

/** The JSON exec form of CMD / HEALTHCHECK … CMD, e.g. `["node", "x.js"]`. */
export function execForm(args: string): string[] {
  const m = /(\[.*\])\s*$/.exec(args);
  if (!m) throw new Error(`not an exec-form (JSON array) instruction: ${args}`);
  return JSON.parse(m[1]!) as string[];
}
