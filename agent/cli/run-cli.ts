/**
 * The `inference-mesh` command, callable in process: `runCli(argv, io)` parses, carries out the
 * command and returns the exit code. Everything outside comes in through `io` (DESIGN.md §6.2-3):
 * main.ts passes the real process, tests pass strings and temp dirs, so the CLI tests need no
 * child process per call (issue 16: each child loads the TypeScript tree through tsx, ~6 s on a
 * loaded 2-core machine). `start` itself stays in main.ts, which owns signals and the exit.
 */
import { readAdminToken } from '../admin-token.js';
import type { Clock } from '../kernel/clock.js';
import { loadConfig, type ConfigFlags, type LoadedConfig } from '../config.js';
import { findConfigLocation } from '../config-location.js';
import { defaultDataDir } from '../data-dir.js';
import type { DoctorDeps } from '../doctor/types.js';
import { AgentError, ConfigError, describeError } from '../kernel/errors.js';
import type { LogFormat } from '../kernel/log-format.js';
import type { ServiceDeps } from '../service/service.js';
import { AGENT_VERSION } from '../kernel/version.js';
import { readMeshKey } from '../../discovery/mesh-key.js';
import type { JoinDeps } from './join.js';
import { parseCommand, type Command } from './parse-args.js';
import type { CliResult } from './placement-commands.js';
// The commands other than `start` (status, doctor, service, join, …) are imported where they run:
// the daemon never loads them, and its idle RSS counts (issue 14: ≤ 70 MB; npm run bench:modules).

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** EX_CONFIG from sysexits.h: what service managers understand as "fix the configuration". */
export const EXIT_CONFIG = 78;

/** A configuration that loaded, with its data dir resolved. */
export type ResolvedConfig = LoadedConfig & { config: LoadedConfig['config'] & { dataDir: string } };

export interface CliIo {
  /** Raw text; callers add the line breaks. */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  homeDir: string;
  hostname: string;
  fetch: typeof fetch;
  clock: Clock;
  readFile: (file: string) => Promise<string>;
  /** Whether a file exists (for the default config location). */
  exists: (file: string) => Promise<boolean>;
  join: Omit<JoinDeps, 'readFile'>;
  /** What `service` needs beyond the above. */
  service: Omit<ServiceDeps, 'platform' | 'homeDir' | 'env' | 'readFile'>;
  doctorDeps: () => DoctorDeps;
  /** Runs the agent in the foreground until a signal (main.ts). */
  start: (resolved: ResolvedConfig, opts: { logFormat: LogFormat | undefined; keyOnCommandLine: boolean }) => Promise<number>;
}

const write = (io: CliIo, r: CliResult): number => {
  if (r.stdout) io.stdout(`${r.stdout}\n`);
  if (r.stderr) io.stderr(`${r.stderr}\n`);
  return r.exitCode;
};

const agentUrl = (io: CliIo, url: string | undefined): string => url ?? `http://127.0.0.1:${io.env.INFERENCE_MESH_PORT || 7650}`;

/**
 * Loads configuration (flags > env > file > defaults; the file from --config, INFERENCE_MESH_CONFIG
 * or the OS's config location) and resolves the data dir, or prints every problem and returns 78.
 */
export async function resolveConfig(io: CliIo, flags: ConfigFlags): Promise<ResolvedConfig | number> {
  try {
    const platform = { platform: io.platform, env: io.env, homeDir: io.homeDir };
    const named = flags.config ?? (io.env.INFERENCE_MESH_CONFIG || undefined);
    const location = named === undefined ? await findConfigLocation(platform, io.exists) : null;
    const loaded = await loadConfig({ flags: { ...flags, config: named ?? location?.configFile }, env: io.env, readFile: io.readFile, hostname: io.hostname });
    for (const note of loaded.notes) io.stderr(`inference-mesh: config: ${note}\n`);
    const dataDir = loaded.config.dataDir ?? location?.dataDir ?? defaultDataDir(platform);
    return { ...loaded, config: { ...loaded.config, dataDir } };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`inference-mesh: invalid configuration (${err.message}):\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
    return EXIT_CONFIG;
  }
}

async function clientCommand(io: CliIo, command: Extract<Command, { command: 'placement' | 'offer' | 'pin' | 'unpin' }>): Promise<number> {
  const { callAgent, showPlacement } = await import('./placement-commands.js');
  const deps = { fetch: io.fetch, clock: io.clock };
  const base = { url: agentUrl(io, command.url), timeoutMs: command.timeoutMs };
  if (command.command === 'placement') return write(io, await showPlacement(deps, { ...base, json: command.json }));
  const request =
    command.command === 'offer'
      ? { method: 'PUT', path: '/overrides/offer', body: { mode: command.mode, forSec: command.forSec } }
      : command.command === 'pin'
        ? { method: 'PUT', path: `/overrides/pins/${command.kind}`, body: { node: command.node, forSec: command.forSec } }
        : { method: 'DELETE', path: `/overrides/pins/${command.kind}` };
  // Changes need the admin credential: on the agent's machine the CLI reads it from the data dir.
  const resolved = await resolveConfig(io, command.flags);
  if (typeof resolved === 'number') return resolved;
  const token = await readAdminToken(resolved.config.dataDir);
  const r = await callAgent(deps, { ...base, ...request, token });
  if (!r.ok) return write(io, r.result);
  return write(io, command.json ? { exitCode: 0, stdout: JSON.stringify(r.json, null, 2) } : await showPlacement(deps, { ...base, json: false }));
}

async function printSecret(io: CliIo, flags: ConfigFlags, what: 'key' | 'admin-token'): Promise<number> {
  const resolved = await resolveConfig(io, flags);
  if (typeof resolved === 'number') return resolved;
  const dataDir = resolved.config.dataDir;
  const value = what === 'key' ? (resolved.config.mesh.key ?? (await readMeshKey(dataDir))) : await readAdminToken(dataDir);
  if (value) return write(io, { exitCode: EXIT_OK, stdout: value });
  const missing =
    what === 'key'
      ? `no mesh key in ${dataDir} yet; start the agent once (it creates one) or join a mesh with \`inference-mesh join\``
      : `no admin credential in ${dataDir} yet; start the agent once (it creates one)`;
  return write(io, { exitCode: EXIT_FAILURE, stderr: `inference-mesh: ${missing}` });
}

async function run(io: CliIo, command: Command): Promise<number> {
  switch (command.command) {
    case 'version':
      return write(io, { exitCode: EXIT_OK, stdout: AGENT_VERSION });
    case 'status':
    case 'nodes': {
      const { runStatus } = await import('./status.js');
      return write(
        io,
        await runStatus({ url: agentUrl(io, command.url), json: command.json, timeoutMs: command.timeoutMs, what: command.command }, { fetch: io.fetch, clock: io.clock }),
      );
    }
    case 'placement':
    case 'offer':
    case 'pin':
    case 'unpin':
      return clientCommand(io, command);
    case 'settings': {
      const resolved = await resolveConfig(io, command.flags);
      if (typeof resolved === 'number') return resolved;
      const token = await readAdminToken(resolved.config.dataDir);
      const { runSettingsReset } = await import('./settings-commands.js');
      return write(io, await runSettingsReset({ fetch: io.fetch, clock: io.clock }, { url: agentUrl(io, command.url), timeoutMs: command.timeoutMs, json: command.json, keys: command.keys, token }));
    }
    case 'bench': {
      // A bench takes the nodes' GPUs for a while: an admin action, credential from the data dir.
      const resolved = await resolveConfig(io, command.flags);
      if (typeof resolved === 'number') return resolved;
      const token = await readAdminToken(resolved.config.dataDir);
      const { runBench } = await import('./bench-command.js');
      return write(io, await runBench({ fetch: io.fetch, clock: io.clock }, { url: agentUrl(io, command.url), json: command.json, timeoutMs: command.timeoutMs, model: command.model, token }));
    }
    case 'key':
    case 'admin-token':
      return printSecret(io, command.flags, command.command);
    case 'join': {
      const resolved = await resolveConfig(io, command.flags);
      if (typeof resolved === 'number') return resolved;
      const opts = { dataDir: resolved.config.dataDir, keyFile: command.keyFile, configuredKey: resolved.config.mesh.key };
      const { runJoin } = await import('./join.js');
      return write(io, await runJoin(opts, { ...io.join, readFile: io.readFile }));
    }
    case 'doctor': {
      const resolved = await resolveConfig(io, command.flags);
      if (typeof resolved === 'number') return resolved;
      const { runDoctor } = await import('../doctor/doctor.js');
      const result = await runDoctor(resolved.config, io.doctorDeps(), { json: command.json });
      return write(io, result);
    }
    case 'service': {
      const { runService } = await import('../service/service.js');
      return write(
        io,
        await runService(
          { action: command.action, user: command.user, dryRun: command.dryRun, configPath: command.configPath },
          { ...io.service, platform: io.platform, homeDir: io.homeDir, env: io.env, readFile: io.readFile },
        ),
      );
    }
    case 'start': {
      const resolved = await resolveConfig(io, command.flags);
      if (typeof resolved === 'number') return resolved;
      return io.start(resolved, { logFormat: command.logFormat, keyOnCommandLine: command.flags.key !== undefined });
    }
  }
}

/** Runs one command line (argv without node and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, io);
  if ('exitCode' in parsed) return parsed.exitCode;
  try {
    return await run(io, parsed.command);
  } catch (err) {
    io.stderr(`inference-mesh: ${describeError(err)}\n${permissionHint(err)}`);
    return EXIT_FAILURE;
  }
}

/** A machine-wide service keeps its secrets owner-only under its own user (systemd DynamicUser=). */
export function permissionHint(err: unknown): string {
  const denied = err instanceof AgentError && err.code.endsWith('_unreadable') && /EACCES|EPERM/.test(describeError(err));
  return denied ? 'hint: the data dir belongs to the user the agent runs as (the service has a user of its own): run the command with sudo\n' : '';
}
