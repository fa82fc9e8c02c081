/**
 * `inference-mesh join` (issue 11, "Joining a mesh without the key on the command line"): the key
 * comes from a file, standard input or a prompt that does not echo, never from argv, where every
 * user of the machine can read it in the process list (`ps`, /proc/<pid>/cmdline). It is checked
 * with the rule the key file is read with and stored in `mesh.key` (0600) in the data dir, where
 * the agent reads it on its next start.
 */
import path from 'node:path';
import { MESH_KEY_FILE, meshFingerprint, meshKeyProblem, readMeshKey, storeMeshKey } from '../../discovery/mesh-key.js';
import { describeError } from '../kernel/errors.js';
import type { CliResult } from './placement-commands.js';

export interface JoinDeps {
  readFile: (file: string) => Promise<string>;
  /** Whether standard input is a terminal: then the key is asked for. A function: process.stdin is made only when needed. */
  stdinIsTty: () => boolean;
  readStdin: () => Promise<string>;
  /** Asks on the terminal without echoing what is typed. */
  promptSecret: (question: string) => Promise<string>;
}

export interface JoinOptions {
  dataDir: string;
  keyFile: string | undefined;
  /** A key from INFERENCE_MESH_KEY or the config file: it would win over the stored one. */
  configuredKey: string | undefined;
}

const PROMPT = 'Mesh key (run `inference-mesh key` on a machine of the mesh; not shown as you type): ';

async function readKey(opts: JoinOptions, deps: JoinDeps): Promise<string> {
  if (opts.keyFile !== undefined) {
    try {
      return await deps.readFile(opts.keyFile);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new Error(`cannot read the key file ${opts.keyFile}: ${code === 'ENOENT' ? 'file not found' : describeError(err)}`);
    }
  }
  return deps.stdinIsTty() ? deps.promptSecret(PROMPT) : deps.readStdin();
}

export async function runJoin(opts: JoinOptions, deps: JoinDeps): Promise<CliResult> {
  let key: string;
  try {
    key = (await readKey(opts, deps)).trim();
  } catch (err) {
    return { exitCode: 1, stderr: `inference-mesh: ${describeError(err)}` };
  }
  const source = opts.keyFile ?? 'standard input';
  if (key === '') return { exitCode: 1, stderr: `inference-mesh: no key given on ${source}; paste the output of \`inference-mesh key\` from a machine of the mesh` };
  if (/\s/.test(key)) return { exitCode: 1, stderr: `inference-mesh: ${source} holds more than one word; give the key alone, as \`inference-mesh key\` prints it` };
  const problem = meshKeyProblem(key);
  if (problem !== null) return { exitCode: 1, stderr: `inference-mesh: that is not a mesh key (${problem}); copy the whole output of \`inference-mesh key\`` };

  const file = path.join(opts.dataDir, MESH_KEY_FILE);
  const fingerprint = meshFingerprint(key);
  const warnings: string[] = [];
  if (opts.configuredKey !== undefined && opts.configuredKey.trim() !== key) {
    warnings.push('warning: INFERENCE_MESH_KEY or mesh.key in the config file is set and wins over the stored key; remove it to use this one');
  }
  try {
    const previous = await readMeshKey(opts.dataDir);
    if (previous === key) return { exitCode: 0, stdout: `already in mesh ${fingerprint} (${file}); nothing changed`, ...stderr(warnings) };
    await storeMeshKey(opts.dataDir, key);
    const replaced = previous === null ? '' : ` (it was in mesh ${meshFingerprint(previous)})`;
    return {
      exitCode: 0,
      stdout: `joined mesh ${fingerprint}: stored the key in ${file}, readable by its owner only${replaced}.\nA running agent uses it after a restart (a service: run \`inference-mesh service install\` again).`,
      ...stderr(warnings),
    };
  } catch (err) {
    return { exitCode: 1, stderr: `inference-mesh: ${describeError(err)}` };
  }
}

const stderr = (lines: string[]): { stderr?: string } => (lines.length ? { stderr: lines.join('\n') } : {});
