/**
 * Process entry: the only file that touches `process`, signals, the console and the real globals
 * (DESIGN.md §6.2). It parses argv, loads configuration, builds the real deps, starts the agent and
 * turns signals into an orderly stop.
 */
// First: zod's settings must be in place before any schema is made (kernel/zod-setup.ts).
import './kernel/zod-setup.js';
import { fstatSync, readlinkSync, realpathSync } from 'node:fs';
import { access, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createNodeDoctorDeps } from './doctor/node-deps.js';
import { createLocalApiReader } from '../discovery/tailscale-client.js';
import { promptSecret } from './cli/prompt-secret.js';
import { EXIT_FAILURE, EXIT_OK, runCli, type CliIo, type ResolvedConfig } from './cli/run-cli.js';
import { createAgent } from './agent.js';
import { createNodeFetch } from './fetch-node.js';
import { hostTimeZone } from './host-time-zone.js';
import { systemClock } from './kernel/clock.js';
import { describeError } from './kernel/errors.js';
import { createNodeExec } from './exec-node.js';
import { createLogger } from './kernel/log.js';
import { chooseLogFormat, isJournalStream, logFormatter, type LogFormat } from './kernel/log-format.js';
import { loadSystemInformation } from './si-node.js';
import { readSmallFile } from './small-file.js';
import { AGENT_VERSION } from './kernel/version.js';
import { createYoungGenTrim } from './young-gen-trim.js';

/** SIGINT/SIGTERM: everything must be down within this, or the process exits anyway. */
const STOP_DEADLINE_MS = 5000;
/** Programs are looked up on the PATH they start with (exec-node.ts). */
const nodeExec = createNodeExec({ env: process.env, platform: process.platform });

function stderrIsJournal(): boolean {
  try {
    return isJournalStream(process.env.JOURNAL_STREAM, fstatSync(2));
  } catch {
    return false;
  }
}

/**
 * V8's `gc({ type: 'minor' })` without `--expose-gc` on every launcher's command line (npm start,
 * the service units, the image): the flag set at run time applies to contexts made after it.
 */
function minorGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as (options: { type: 'minor' }) => void)({ type: 'minor' }) : undefined;
  } catch {
    return undefined;
  }
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => (text += chunk));
    process.stdin.once('end', () => resolve(text));
    process.stdin.once('error', reject);
  });
}

function scriptPath(): string {
  const script = process.argv[1] ?? '';
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}

function cliIo(): CliIo {
  const journal = stderrIsJournal();
  return {
    stdout: (t) => process.stdout.write(t),
    // Under the journal, the CLI's own messages (a bad configuration at start) are errors too:
    // `journalctl -p err` must show them (sd-daemon(3) prefixes, as the logger's journal lines).
    stderr: (t) => process.stderr.write(journal ? t.replace(/^(?=.)/gm, '<3>') : t),
    env: process.env,
    platform: process.platform,
    homeDir: os.homedir(),
    hostname: os.hostname(),
    fetch,
    clock: systemClock,
    readFile: (f) => readFile(f, 'utf8'),
    exists: (f) =>
      access(f).then(
        () => true,
        () => false,
      ),
    join: {
      stdinIsTty: () => process.stdin.isTTY === true,
      readStdin,
      promptSecret: (question) => promptSecret(question, process.stdin, process.stderr),
    },
    service: {
      exec: nodeExec,
      writeFile: (f, d) => writeFile(f, d),
      mkdir: async (d) => {
        await mkdir(d, { recursive: true });
      },
      rm: (f) => rm(f, { force: true }),
      nodePath: process.execPath,
      // The script this process started from (through npm's bin link): the installed
      // bin/inference-mesh.js, or dist/agent/main.cjs under `npm start`; both run the agent.
      entry: scriptPath(),
      cwd: process.cwd(),
      uid: process.getuid?.(),
    },
    doctorDeps: () => createNodeDoctorDeps({ env: process.env, platform: process.platform }),
    start,
  };
}

async function start(loaded: ResolvedConfig, opts: { logFormat: LogFormat | undefined; keyOnCommandLine: boolean }): Promise<number> {
  const config = loaded.config;
  const format = chooseLogFormat({ flag: opts.logFormat, configured: config.log.format, stderrIsJournal: stderrIsJournal() });
  const log = createLogger({ level: config.log.level, nowMs: systemClock.nowMs, format: logFormatter(format), sink: (_r, line) => process.stderr.write(`${line}\n`) });
  log.info('starting inference-mesh', { version: AGENT_VERSION, config: loaded.configPath ?? '(defaults)', dataDir: config.dataDir, pid: process.pid });
  if (opts.keyOnCommandLine) {
    // /proc/<pid>/cmdline is readable by every user (proc(5)): the key sits in `ps` for the
    // agent's whole life (issue 11).
    log.warn('--key leaves the mesh key visible to every user of this machine in the process list; it is now stored in the data dir: start without --key, and join other machines with `inference-mesh join`');
  }

  const agent = createAgent(config, {
    clock: systemClock,
    log,
    fetch: createNodeFetch(fetch),
    exec: nodeExec,
    si: loadSystemInformation(),
    fs: { readFile: readSmallFile, readdir: (p) => readdir(p) },
    platform: process.platform,
    arch: process.arch,
    networkInterfaces: os.networkInterfaces,
    agentVersion: AGENT_VERSION,
    hostname: os.hostname(),
    timeZone: hostTimeZone({
      tzEnv: process.env.TZ,
      localtimeLink: () => {
        try {
          return readlinkSync('/etc/localtime');
        } catch {
          return undefined;
        }
      },
      canonicalZones: () => Intl.supportedValuesOf('timeZone'),
      intlZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    }),
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

  const scavenge = minorGc();
  const trim = scavenge ? createYoungGenTrim({ clock: systemClock, minorGc: scavenge }) : undefined;
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn('second signal: exiting now', { signal });
        process.exit(EXIT_FAILURE);
      }
      stopping = true;
      log.info('stopping', { signal });
      void trim?.stop();
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
  await trim?.start(new AbortController().signal);
  log.info('agent ready', { url: `http://127.0.0.1:${agent.port()}/api/v1/node`, nodeId: agent.nodeId(), name: config.node.name });
  return stopped;
}

// `inference-mesh nodes | head -1`: a reader that stops early just ends the output, as for cat or
// git, not with an EPIPE stack trace. Only command output goes to stdout (the agent logs to stderr).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK);
});

runCli(process.argv.slice(2), cliIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`inference-mesh: ${describeError(err)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
