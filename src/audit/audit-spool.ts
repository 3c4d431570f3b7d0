import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** An event that could not be written yet: its deduplication key and the time it happened travel with it. */
export interface SpooledEvent<E = unknown> {
  key: string;
  at: string;
  event: E;
}

const SUFFIX = '.jsonl';
const CLAIMED = /\.jsonl\.replay-(\d+)$/;

/**
 * API-call events the database did not take, kept on disk (DATA_DIR/audit-spool) until it does: one
 * JSON line per event, appended synchronously (it runs in the forced-exit path too) and fsync'ed.
 * Each process appends to its own file; replaying claims a file by renaming it, so two instances sharing
 * DATA_DIR never replay the same file at once, and a claim left by a dead process is taken over.
 * Replay is idempotent downstream: each event carries its key (audit_events.event_key).
 */
export class AuditSpool<E> {
  private file = this.newFileName();

  constructor(readonly dir: string) {}

  /** Appends the events; throws when the disk refuses (the caller counts them as lost). */
  append(events: SpooledEvent<E>[]): void {
    if (events.length === 0) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(join(this.dir, this.file), 'a', 0o600);
    try {
      writeSync(fd, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Whether anything waits to be replayed (cheap: a directory listing). */
  hasFiles(): boolean {
    return this.list().length > 0;
  }

  /**
   * Claims every spool file not being replayed by a live process: ours and other processes' (a file of
   * a live writer it is still appending to is claimed too; its next append starts a new file).
   */
  claim(): string[] {
    this.file = this.newFileName(); // our later appends go to a fresh file
    const claimed: string[] = [];
    for (const name of this.list()) {
      const owner = CLAIMED.exec(name);
      if (owner && (Number(owner[1]) === process.pid || alive(Number(owner[1])))) continue;
      const base = owner ? name.slice(0, name.indexOf(SUFFIX) + SUFFIX.length) : name;
      const to = `${base}.replay-${process.pid}`;
      try {
        renameSync(join(this.dir, name), join(this.dir, to));
        claimed.push(to);
      } catch {
        // another process claimed it first
      }
    }
    return claimed;
  }

  /** The events of a claimed file, and how many lines could not be read (a torn last line). */
  read(claimed: string): { events: SpooledEvent<E>[]; unreadable: number } {
    const events: SpooledEvent<E>[] = [];
    let unreadable = 0;
    for (const line of readFileSync(join(this.dir, claimed), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as SpooledEvent<E>;
        if (typeof e.key === 'string' && typeof e.at === 'string' && e.event) events.push(e);
        else unreadable++;
      } catch {
        unreadable++;
      }
    }
    return { events, unreadable };
  }

  /** Replayed: gone. */
  remove(claimed: string): void {
    rmSync(join(this.dir, claimed), { force: true });
  }

  /** Not replayed this time: back to the pool of files for a later attempt. */
  release(claimed: string): void {
    try {
      renameSync(join(this.dir, claimed), join(this.dir, claimed.replace(/\.replay-\d+$/, '')));
    } catch {
      // gone meanwhile
    }
  }

  private list(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => n.endsWith(SUFFIX) || CLAIMED.test(n));
    } catch {
      return [];
    }
  }

  private newFileName(): string {
    return `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}${SUFFIX}`;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
