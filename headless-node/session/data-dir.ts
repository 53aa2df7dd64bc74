import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A private folder for one node's identity and credentials: dir 0700, files 0600, atomic writes. */
export interface DataDir {
  readonly path: string;
  read<T>(name: string): T | undefined;
  write(name: string, value: unknown): void;
  remove(name: string): void;
}

/** Default data dir for a node named `name`: ~/.tabmesh/nodes/<name>. */
export function defaultDataDir(name: string): string {
  return join(homedir(), '.tabmesh', 'nodes', name);
}

/** Opens (creating if needed) the data dir at `path`. */
export function openDataDir(path: string): DataDir {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by umask and ignored for existing dirs; secrets need it exact.
  chmodSync(path, 0o700);
  return {
    path,
    read<T>(name: string): T | undefined {
      let text: string;
      try {
        text = readFileSync(join(path, name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`${join(path, name)} is not valid JSON; fix or delete it`);
      }
    },
    write(name, value) {
      const file = join(path, name);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, file);
    },
    remove(name) {
      rmSync(join(path, name), { force: true });
    },
  };
}
