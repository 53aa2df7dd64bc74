import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** The embedded store's schema; `PRAGMA user_version` in the file records which one wrote it. */
export const SCHEMA_VERSION = 1;

export interface DatabaseHeader {
  size: number;
  /** Why the file cannot be a usable database, if it cannot. */
  problem?: string;
  /** `PRAGMA user_version`: the tabmesh schema that wrote the file. */
  userVersion?: number;
}

/**
 * Reads an SQLite file's 100-byte header without opening it through SQLite (which would treat
 * an empty file as a new empty database, and notice a truncated one only when a missing page is
 * read). Also used by `tabmesh doctor`, which must not load the native module or lock the file.
 */
export function readDatabaseHeader(file: string): DatabaseHeader {
  const size = statSync(file).size;
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (size === 0) return { size, problem: 'the file is empty' };
  if (size < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') return { size, problem: 'no SQLite header' };
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const userVersion = header.readUInt32BE(60);
  // The in-header page count is valid when the change counter matches "version-valid-for".
  if (header.readUInt32BE(24) === header.readUInt32BE(92) && pages > 0 && size < pages * pageSize) {
    return { size, userVersion, problem: `truncated: ${size} bytes, the header says ${pages * pageSize}` };
  }
  return { size, userVersion };
}
