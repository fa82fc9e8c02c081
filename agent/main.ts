/**
 * Process entry: the only file that touches `process`, signals, the console and the real globals
 * (DESIGN.md §6.2). It parses argv, loads configuration, builds the real deps, starts the agent and
 * turns signals into an orderly stop.
 */
import { realpathSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { readMeshKey } from '../discovery/mesh-key.js';
import { readAdminToken } from './admin-token.js';
import { runDoctor } from './doctor/doctor.js';
import { createNodeDoctorDeps } from './doctor/node-deps.js';
import { runService } from './service/service.js';
import { createLocalApiReader } from '../discovery/tailscale-client.js';
import { runStatus } from './cli/status.js';
import { parseCommand, UsageError, type Command } from './cli/parse-args.js';
import { callAgent, showPlacement, type CliResult } from './cli/placement-commands.js';
import { runSettingsReset } from './cli/settings-commands.js';
import { USAGE } from './cli/usage.js';
import { createAgent } from './agent.js';
import { systemClock } from './clock.js';
import { loadConfig } from './config.js';
import { defaultDataDir } from './data-dir.js';
import { ConfigError, describeError } from './errors.js';
import { nodeExec } from './exec-node.js';
import { createLogger } from './log.js';
import { loadSystemInformation } from './si-node.js';
import { readSmallFile } from './small-file.js';
import { AGENT_VERSION } from './version.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** EX_CONFIG from sysexits.h: what service managers understand as "fix the configuration". */
const EXIT_CONFIG = 78;
/** SIGINT/SIGTERM: everything must be down within this, or the process exits anyway. */
const STOP_DEADLINE_MS = 5000;

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`inference-mesh: ${err.message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  switch (command.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    case 'version':
      process.stdout.write(`${AGENT_VERSION}\n`);
      return EXIT_OK;
    case 'status':
    case 'nodes': {
      const url = command.url ?? `http://127.0.0.1:${process.env.INFERENCE_MESH_PORT || 7650}`;
      const result = await runStatus({ url, json: command.json, timeoutMs: command.timeoutMs, what: command.command }, { fetch, clock: systemClock });
      if (result.stdout) process.stdout.write(`${result.stdout}\n`);
      if (result.stderr) process.stderr.write(`${result.stderr}\n`);
      return result.exitCode;
    }
    case 'placement':
    case 'offer':
    case 'pin':
    case 'unpin':
      return placementCommand(command);
    case 'settings': {
      const resolved = await resolveConfig(command.flags);
      if (typeof resolved === 'number') return resolved;
      const url = command.url ?? `http://127.0.0.1:${process.env.INFERENCE_MESH_PORT || 7650}`;
      const result = await runSettingsReset({ fetch, clock: systemClock }, { url, timeoutMs: command.timeoutMs, json: command.json, keys: command.keys, token: await readAdminToken(resolved.config.dataDir) });
      if (result.stdout) process.stdout.write(`${result.stdout}\n`);
      if (result.stderr) process.stderr.write(`${result.stderr}\n`);
      return result.exitCode;
    }
    case 'start':
      return start(command.flags);
    case 'key':
      return printKey(command.flags);
    case 'admin-token':
      return printAdminToken(command.flags);
    case 'service': {
      const result = await runService(
        { action: command.action, user: command.user, dryRun: command.dryRun, configPath: command.configPath },
        {
          platform: process.platform,
          homeDir: os.homedir(),
          exec: nodeExec,
          writeFile: (f, d) => writeFile(f, d),
          readFile: (f) => readFile(f, 'utf8'),
          mkdir: async (d) => {
            await mkdir(d, { recursive: true });
          },
          rm: (f) => rm(f, { force: true }),
          nodePath: process.execPath,
          // The script this process started from (through npm's bin link): the installed
          // bin/inference-mesh.js, or dist/agent/main.js under `npm start`; both run the agent.
          entry: realpathSync(process.argv[1] ?? ''),
          env: process.env,
          cwd: process.cwd(),
          uid: process.getuid?.(),
        },
      );
      if (result.stdout) process.stdout.write(`${result.stdout}\n`);
      if (result.stderr) process.stderr.write(`${result.stderr}\n`);
      return result.exitCode;
    }
    case 'doctor': {
      const resolved = await resolveConfig(command.flags);
      if (typeof resolved === 'number') return resolved;
      const result = await runDoctor(resolved.config, createNodeDoctorDeps({ env: process.env, platform: process.platform }), { json: command.json });
      process.stdout.write(`${result.stdout}\n`);
      return result.exitCode;
    }
  }
}

async function placementCommand(command: Extract<Command, { command: 'placement' | 'offer' | 'pin' | 'unpin' }>): Promise<number> {
  const deps = { fetch, clock: systemClock };
  const url = command.url ?? `http://127.0.0.1:${process.env.INFERENCE_MESH_PORT || 7650}`;
  const base = { url, timeoutMs: command.timeoutMs };
  let result: CliResult;
  if (command.command === 'placement') {
    result = await showPlacement(deps, { ...base, json: command.json });
  } else {
    const request =
      command.command === 'offer'
        ? { method: 'PUT', path: '/overrides/offer', body: { mode: command.mode, forSec: command.forSec } }
        : command.command === 'pin'
          ? { method: 'PUT', path: `/overrides/pins/${command.kind}`, body: { node: command.node, forSec: command.forSec } }
          : { method: 'DELETE', path: `/overrides/pins/${command.kind}` };
    // Changes need the admin credential: on the agent's machine the CLI reads it from the data dir.
    const resolved = await resolveConfig(command.flags);
    if (typeof resolved === 'number') return resolved;
    const token = await readAdminToken(resolved.config.dataDir);
    const r = await callAgent(deps, { ...base, ...request, token });
    result = r.ok ? (command.json ? { exitCode: 0, stdout: JSON.stringify(r.json, null, 2) } : await showPlacement(deps, { ...base, json: false })) : r.result;
  }
  if (result.stdout) process.stdout.write(`${result.stdout}\n`);
  if (result.stderr) process.stderr.write(`${result.stderr}\n`);
  return result.exitCode;
}

/** Loads configuration and resolves the data dir, or prints every problem and returns exit 78. */
async function resolveConfig(flags: Parameters<typeof loadConfig>[0]['flags']) {
  try {
    const loaded = await loadConfig({ flags, env: process.env, readFile: (f) => readFile(f, 'utf8'), hostname: os.hostname() });
    const dataDir = loaded.config.dataDir ?? defaultDataDir({ platform: process.platform, env: process.env, homeDir: os.homedir() });
    return { ...loaded, config: { ...loaded.config, dataDir } };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`inference-mesh: invalid configuration (${err.message}):\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
    return EXIT_CONFIG;
  }
}

async function printAdminToken(flags: Parameters<typeof loadConfig>[0]['flags']): Promise<number> {
  const resolved = await resolveConfig(flags);
  if (typeof resolved === 'number') return resolved;
  const token = await readAdminToken(resolved.config.dataDir);
  if (!token) {
    process.stderr.write(`inference-mesh: no admin credential in ${resolved.config.dataDir} yet; start the agent once (it creates one)\n`);
    return EXIT_FAILURE;
  }
  process.stdout.write(`${token}\n`);
  return EXIT_OK;
}

async function printKey(flags: Parameters<typeof loadConfig>[0]['flags']): Promise<number> {
  const resolved = await resolveConfig(flags);
  if (typeof resolved === 'number') return resolved;
  const key = resolved.config.mesh.key ?? (await readMeshKey(resolved.config.dataDir));
  if (!key) {
    process.stderr.write(`inference-mesh: no mesh key in ${resolved.config.dataDir} yet; start the agent once (it creates one) or join a mesh with --key\n`);
    return EXIT_FAILURE;
  }
  process.stdout.write(`${key}\n`);
  return EXIT_OK;
}

async function start(flags: Parameters<typeof loadConfig>[0]['flags']): Promise<number> {
  const loaded = await resolveConfig(flags);
  if (typeof loaded === 'number') return loaded;
  const config = loaded.config;
  const log = createLogger({ level: config.log.level, nowMs: systemClock.nowMs, sink: (_r, line) => process.stderr.write(`${line}\n`) });
  log.info('starting inference-mesh', { version: AGENT_VERSION, config: loaded.configPath ?? '(defaults)', pid: process.pid });

  const agent = createAgent(config, {
    clock: systemClock,
    log,
    fetch,
    exec: nodeExec,
    si: loadSystemInformation(),
    fs: { readFile: readSmallFile, readdir: (p) => readdir(p) },
    platform: process.platform,
    networkInterfaces: os.networkInterfaces,
    agentVersion: AGENT_VERSION,
    hostname: os.hostname(),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...(process.platform === 'linux' ? { tailscaleLocalApi: createLocalApiReader() } : {}),
    pid: process.pid,
    isProcessAlive: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        // EPERM: it exists but belongs to someone else.
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  });

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn('second signal: exiting now', { signal });
        process.exit(EXIT_FAILURE);
      }
      stopping = true;
      log.info('stopping', { signal });
      // A stuck part must not keep the process: exit anyway after the deadline. unref'd so a fast
      // stop exits at once.
      setTimeout(() => {
        log.error('stop took too long; exiting', { deadlineMs: STOP_DEADLINE_MS });
        process.exit(EXIT_FAILURE);
      }, STOP_DEADLINE_MS).unref();
      agent.stop().then(
        () => resolve(EXIT_OK),
        (err: unknown) => {
          log.error('stop failed', { error: describeError(err) });
          resolve(EXIT_FAILURE);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  try {
    await agent.start();
  } catch (err) {
    log.error(`cannot start: ${describeError(err)}`);
    return EXIT_FAILURE;
  }
  log.info('agent ready', { url: `http://127.0.0.1:${agent.port()}/api/v1/node`, nodeId: agent.nodeId(), name: config.node.name });
  return stopped;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`inference-mesh: ${describeError(err)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
