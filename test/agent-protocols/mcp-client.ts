import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const BIN = new URL('../../bin/tabmesh.js', import.meta.url).pathname;

export interface McpSession {
  client: Client;
  /** Resolves on the next `notifications/tools/list_changed` after the call. */
  nextListChange(timeoutMs?: number): Promise<void>;
  stderr(): string;
  close(): Promise<void>;
}

/** Starts `tabmesh mcp …args` as the official SDK client would (stdio) and connects to it. */
export async function startMcp(args: string[]): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'tabmesh-mcp-home-')) },
    stderr: 'pipe',
  });
  let stderr = '';
  (transport.stderr as Readable | null)?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const client = new Client({ name: 'tabmesh-test', version: '1.0.0' });
  const waiters = new Set<() => void>();
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    for (const w of [...waiters]) w();
  });
  await client.connect(transport).catch((err: unknown) => {
    throw new Error(`tabmesh mcp did not start: ${(err as Error).message}\nstderr: ${stderr}`);
  });
  return {
    client,
    stderr: () => stderr,
    nextListChange(timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => (waiters.delete(done), reject(new Error(`no tools/list_changed in ${timeoutMs} ms; stderr: ${stderr}`))), timeoutMs);
        const done = () => (clearTimeout(timer), waiters.delete(done), resolve());
        waiters.add(done);
      });
    },
    close: () => client.close(),
  };
}

/** The text of a tool result's content parts, joined. */
export const toolText = (r: Record<string, unknown>) => (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('');
