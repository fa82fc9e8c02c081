/**
 * The state store: a lowdb JSON file in the data dir (atomic writes via lowdb's steno writer).
 * A file that cannot be parsed or does not match the schema is renamed to
 * `state.json.corrupt-<time>` with a warning, and the agent starts fresh: data is never silently
 * overwritten, and a bad file never stops the agent from starting.
 */
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { diskWriteError } from './kernel/disk-error.js';
import { AgentError, describeError } from './kernel/errors.js';
import type { Logger } from './kernel/log.js';
import { asideName } from './kernel/secret-file.js';
import { stateSchema, type AgentState } from './state-schema.js';

export interface Store {
  readonly file: string;
  /** The current state (a parsed, typed value). */
  get(): AgentState;
  /** Applies `change` to a copy, validates it, and writes it atomically. Writes are serialised. */
  update(change: (draft: AgentState) => void): Promise<void>;
  /** Resolves when every write queued so far is on disk (the agent's last step on stop). */
  flush(): Promise<void>;
}

export interface OpenStoreOptions {
  dataDir: string;
  nowMs: () => number;
  log: Logger;
  /** The state to start with when there is no usable file. */
  initial: (nowMs: number) => AgentState;
}

export const STATE_FILE = 'state.json';

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const file = path.join(opts.dataDir, STATE_FILE);
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw diskWriteError('state_unwritable', opts.dataDir, err, 'the data directory');
  });
  const existing = await readState(file, opts);
  const db = new Low<AgentState>(new JSONFile<AgentState>(file), existing ?? opts.initial(opts.nowMs()));
  const write = async (): Promise<void> => {
    try {
      await db.write();
    } catch (err) {
      // steno (lowdb's writer) writes `.state.json.tmp` and leaves it behind when the write fails.
      await unlink(stenoTempFile(file)).catch(() => undefined);
      throw diskWriteError('state_unwritable', file, err, 'the state');
    }
  };
  if (existing === null) await write();

  let queue: Promise<void> = Promise.resolve();
  return {
    file,
    get: () => db.data,
    update(change) {
      const run = async (): Promise<void> => {
        const draft = structuredClone(db.data);
        change(draft);
        db.data = stateSchema.parse(draft);
        await write();
      };
      const next = queue.then(run, run);
      // Keep the queue alive after a failed write; the caller still sees the failure.
      queue = next.catch(() => undefined);
      return next;
    },
    flush: () => queue,
  };
}

/** steno's temporary file for `file` (node_modules/steno/lib/index.js getTempFilename). */
export function stenoTempFile(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
}

/** The stored state, or null when there is none or it had to be moved aside. */
async function readState(file: string, opts: OpenStoreOptions): Promise<AgentState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return moveAside(file, `unreadable (${describeError(err)})`, opts);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return moveAside(file, `not valid JSON (${describeError(err)})`, opts);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const why = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'does not match the schema';
    return moveAside(file, `not a valid state file (${why})`, opts);
  }
  return parsed.data;
}

async function moveAside(file: string, why: string, opts: OpenStoreOptions): Promise<null> {
  const aside = asideName(file, opts.nowMs());
  try {
    await rename(file, aside);
  } catch (err) {
    throw new AgentError('state_unusable', `state file ${file} is ${why} and could not be moved aside: ${describeError(err)}`, {
      cause: err,
    });
  }
  opts.log.warn('state file was unusable; moved it aside and starting fresh', { file, movedTo: aside, reason: why });
  return null;
}
