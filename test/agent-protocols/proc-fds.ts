import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Every descendant process of `pid` (Linux /proc). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(/\s+/).filter(Boolean).map(Number)) out.push(child, ...descendants(child));
  }
  return out;
}

/** Descriptors above stderr of `pid` that are sockets. */
export function socketsAboveStderr(pid: number): number[] {
  const fds: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`).map(Number).filter((n) => n > 2)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) fds.push(fd);
    } catch {
      // closed meanwhile
    }
  }
  return fds;
}

/** The command line of `pid`, space-joined. */
export const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
