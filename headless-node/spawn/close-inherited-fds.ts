import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/**
 * Closes every descriptor above stderr that this process inherited: on Linux those are the ones
 * without close-on-exec in /proc/self/fdinfo (everything Node and libuv open themselves has the
 * flag, and an inherited descriptor cannot have it, or exec would have closed it). Returns how
 * many it closed; elsewhere (no /proc) it closes nothing and returns -1.
 */
export function closeInheritedFds(): number {
  let fds: number[];
  try {
    fds = readdirSync('/proc/self/fd').map(Number).filter((fd) => fd > 2);
  } catch {
    return -1;
  }
  let closed = 0;
  for (const fd of fds) {
    let flags: number;
    try {
      flags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
    } catch {
      continue; // the directory listing's own descriptor, gone by now
    }
    if (flags & O_CLOEXEC) continue;
    try {
      closeSync(fd);
      closed++;
    } catch {
      // already closed
    }
  }
  return closed;
}
