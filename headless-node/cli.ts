/**
 * `tabmesh <command>`: dispatches to one file per command so each stays small. Every command
 * module exports `run(args: string[]): Promise<number>` returning the exit code.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  serve: { summary: 'run the signaling + registry server and the hub (same as npm start)', load: () => import('./commands/serve.ts') },
  doctor: { summary: 'check Node, node-datachannel, the server, the key and STUN/TURN; says what is wrong', load: () => import('./commands/doctor.ts') },
  node: { summary: 'join the mesh as a headless peer and host agents (worker threads)', load: () => import('./commands/node.ts') },
  call: { summary: 'run a skill on an agent in the mesh and print the result', load: () => import('./commands/call.ts') },
  ping: { summary: 'measure round trips to a peer', load: () => import('./commands/ping.ts') },
  mcp: { summary: 'serve the mesh\'s skills as MCP tools over stdio (for MCP clients and IDEs)', load: () => import('./commands/mcp.ts') },
  peers: { summary: 'list the peers in the mesh and the agents they host', load: () => import('./commands/peers.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return ['usage: tabmesh <command> [options]', '', ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`), '', 'tabmesh <command> --help for options'].join('\n');
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(usage());
  process.exit(name ? 0 : 2);
}
const command = COMMANDS[name];
if (!command) {
  console.error(`tabmesh: unknown command "${name}"\n\n${usage()}`);
  process.exit(2);
}
const code = await (await command.load()).run(args);
if (name !== 'serve') {
  // A finished command exits now: node-datachannel's native threads can keep the event loop alive
  // for seconds (or for good) after the last connection closed. Flush what was printed first.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))));
  process.exit(code);
} else if (code !== 0) process.exitCode = code;
