import type Database from 'libsql';
import { setImmediate } from 'node:timers';

export interface GroupCommit {
  /** Runs `fn` now inside the open transaction (opening one); resolves once that transaction is committed. */
  write<T>(fn: () => T): Promise<T>;
  /** Runs `fn` now; resolves at once, or, when it may have seen uncommitted writes, once they are committed. */
  read<T>(fn: () => T): Promise<T>;
  /** Whether writes are waiting for their commit. */
  readonly pending: boolean;
  /** Commits what is open now (before close). */
  flush(): void;
}

interface Waiter {
  settle(): void;
  fail(err: Error): void;
}

/**
 * Group commit: every store call runs at once (so compare-and-set answers are decided in call
 * order) inside an open transaction, which commits later: on the next event-loop turn (`turn`:
 * concurrent requests share one commit, one WAL append, one fsync with synchronous=FULL) or once
 * the current microtasks have run (`microtask`: only calls made together share it, but a lone
 * call waits no extra turn; for synchronous=NORMAL, where a commit costs no fsync). Calls
 * resolve only after their commit, so no caller acts on, or acknowledges, an uncommitted write.
 */
export function createGroupCommit(db: Database.Database, explain: (err: unknown) => Error, wait: 'turn' | 'microtask' = 'turn'): GroupCommit {
  const defer = wait === 'turn' ? (fn: () => void) => void setImmediate(fn) : queueMicrotask;
  // Prepared once: exec() would parse the statement text on every call.
  const [begin, commitTx, rollback] = ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'].map((sql) => db.prepare(sql));
  let waiting: Waiter[] = [];
  let scheduled = false;

  const failAll = (err: Error) => {
    const lost = waiting;
    waiting = [];
    for (const w of lost) w.fail(err);
  };
  const commit = () => {
    scheduled = false;
    const batch = waiting;
    waiting = [];
    if (!db.inTransaction) {
      // SQLite rolled the transaction back itself (e.g. the disk filled up mid-batch).
      const err = explain(Object.assign(new Error('the transaction was rolled back'), { code: 'SQLITE_ABORT' }));
      for (const w of batch) w.fail(err);
      return;
    }
    try {
      commitTx!.run();
    } catch (err) {
      try {
        if (db.inTransaction) rollback!.run();
      } catch {
        // The commit's error is the one to report.
      }
      for (const w of batch) w.fail(explain(err));
      return;
    }
    for (const w of batch) w.settle();
  };
  const later = <T>(result: T) => new Promise<T>((resolve, reject) => waiting.push({ settle: () => resolve(result), fail: reject }));

  return {
    get pending() {
      return waiting.length > 0;
    },
    write(fn) {
      try {
        if (!db.inTransaction) begin!.run();
        if (!scheduled) {
          scheduled = true;
          defer(commit);
        }
        return later(fn());
      } catch (err) {
        // A statement that fails may take the whole transaction with it: then every write in it is lost.
        if (!db.inTransaction) failAll(explain(err));
        return Promise.reject(explain(err));
      }
    },
    read(fn) {
      try {
        const result = fn();
        return db.inTransaction ? later(result) : Promise.resolve(result);
      } catch (err) {
        return Promise.reject(explain(err));
      }
    },
    flush() {
      if (scheduled || db.inTransaction) commit();
    },
  };
}
