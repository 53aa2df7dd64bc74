import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../headless-node/mcp/split-command.ts';

describe('splitCommand (--mcp-server "COMMAND ARGS")', () => {
  it('splits on whitespace and keeps quoted groups together', () => {
    expect(splitCommand('npx  -y @modelcontextprotocol/server-everything')).toEqual(['npx', '-y', '@modelcontextprotocol/server-everything']);
    expect(splitCommand(`sh -c '[ -f "$0" ] && exec "$1"' /tmp/m`)).toEqual(['sh', '-c', '[ -f "$0" ] && exec "$1"', '/tmp/m']);
    expect(splitCommand('run "a \\"b\\" c" d\\ e \'\'')).toEqual(['run', 'a "b" c', 'd e', '']);
  });

  it('refuses an unclosed quote', () => {
    expect(() => splitCommand('run "oops')).toThrow('unclosed " quote');
  });
});
