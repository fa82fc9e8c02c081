/**
 * Running a program is an injected capability (DESIGN.md §6.3): probes call `exec`, tests pass a
 * scripted one. The real implementation lives in agent/exec-node.ts.
 */
export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs `file` with `args` (no shell). Resolves on exit code 0; rejects with an `ExecError` otherwise.
 * A missing program rejects with code `ENOENT`.
 */
export type Exec = (file: string, args: readonly string[], opts: ExecOptions) => Promise<ExecResult>;

export class ExecError extends Error {
  /** `ENOENT` when the program does not exist, `ETIMEDOUT`, `EXIT` for a non-zero status. */
  readonly code: string;
  readonly stderr: string;
  constructor(code: string, message: string, stderr = '') {
    super(message);
    this.name = 'ExecError';
    this.code = code;
    this.stderr = stderr;
  }
}
