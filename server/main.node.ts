import { runNodeServer } from './node-server.ts';

await runNodeServer();
