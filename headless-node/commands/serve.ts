import { runNodeServer } from '../../server/node-server.ts';

/** `tabmesh serve`: the server, configured from the environment like `npm start`. */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log('usage: tabmesh serve\n\nConfigured by environment variables; see docs/operations.md.');
    return 0;
  }
  await runNodeServer(process.env);
  return 0;
}
