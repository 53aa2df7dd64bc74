import { runNodeServer } from '../../server/node-server.ts';
import { EXIT } from '../cli/command-line.ts';

const USAGE = 'usage: tabmesh serve\n\nConfigured by environment variables (PORT, HOST, TABMESH_DATA_DIR, …); see docs/operations.md.';

/** `tabmesh serve`: the server, configured from the environment like `npm start`. */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  // A flag here would be silently ignored (`--port 9000` still listening on 8787): refuse it.
  if (args.length) {
    console.error(`tabmesh serve: takes no flags or arguments (got "${args[0]}"); set environment variables instead, e.g. PORT=9000 tabmesh serve`);
    console.error('Run "tabmesh serve --help" for usage.');
    return EXIT.usage;
  }
  await runNodeServer(process.env);
  return 0;
}
