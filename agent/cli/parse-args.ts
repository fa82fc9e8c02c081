/**
 * Command-line parsing with commander (issue 16: "a CLI that explains itself"): every command takes
 * `--help` and prints its own usage (exit 0), a misspelt command or option gets a suggestion, and
 * any usage error exits 2 (README "Stopping", DESIGN.md §5). Parsing only builds a `Command` value;
 * agent/cli/run-cli.ts carries it out, so parsing never touches the network or the disk.
 *
 * Adding a command: one `program.command(...)` block in `defineCommands`, one variant in `Command`,
 * one `case` in run-cli.ts.
 */
import { Argument, Command as Program, CommanderError, InvalidArgumentError, Option } from 'commander';
import { KIND_IDS, type KindId } from '../kernel/kinds.js';
import type { ConfigFlags } from '../config.js';
import { AGENT_VERSION } from '../kernel/version.js';
import { parseDuration } from './duration.js';
import { LOG_FORMATS, type LogFormat } from '../kernel/log-format.js';

/** Options every command that talks to a running agent takes. */
export interface ClientOptions {
  url: string | undefined;
  json: boolean;
  timeoutMs: number;
  /** Where to find this machine's admin credential (for changes). */
  flags: ConfigFlags;
}

export type Command =
  | { command: 'start'; flags: ConfigFlags; logFormat: LogFormat | undefined }
  | { command: 'join'; keyFile: string | undefined; flags: ConfigFlags }
  | ({ command: 'status' | 'nodes' } & ClientOptions)
  | ({ command: 'placement' } & ClientOptions)
  | ({ command: 'bench'; model: string | undefined } & ClientOptions)
  | ({ command: 'offer'; mode: 'offer' | 'out' | 'auto'; forSec: number | null } & ClientOptions)
  | ({ command: 'pin'; kind: KindId; node: string; forSec: number | null } & ClientOptions)
  | ({ command: 'unpin'; kind: KindId } & ClientOptions)
  | ({ command: 'settings'; keys: string[] } & ClientOptions)
  | { command: 'key' | 'admin-token'; flags: ConfigFlags }
  | { command: 'doctor'; json: boolean; flags: ConfigFlags }
  | { command: 'service'; action: 'install' | 'uninstall' | 'status'; user: boolean; dryRun: boolean; configPath: string | undefined }
  | { command: 'version' };

/** Where help and errors are written (main.ts passes stdout/stderr; tests collect strings). */
export interface ParseOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A command to run, or the exit code after help, `--version` or a usage error was printed. */
export type ParseOutcome = { command: Command } | { exitCode: number };

const EXIT_USAGE = 2;

/** Every command the CLI knows, for the `--help` table test and the docs. */
export const COMMAND_NAMES = ['start', 'join', 'status', 'nodes', 'placement', 'bench', 'offer', 'pin', 'unpin', 'settings', 'key', 'admin-token', 'doctor', 'service', 'version'] as const;

const DURATION_HELP = '\nDURATION: 2h, 30m, 1h30m, 1d (none = until changed).';

const ROOT_HELP = `
Every command takes --help. Flags beat the environment, which beats the config file.
Config file: --config FILE, else INFERENCE_MESH_CONFIG, else your own config.json when it exists
(Linux ~/.config/inference-mesh), else the machine's (Linux /etc/inference-mesh, Windows
%ProgramData%\\inference-mesh, macOS /Library/Application Support/inference-mesh); its data dir goes with it.
Environment: INFERENCE_MESH_CONFIG, INFERENCE_MESH_DATA_DIR, INFERENCE_MESH_PORT, INFERENCE_MESH_KEY,
OLLAMA_HOST (local Ollama, Ollama's own rules), IMMICH_MACHINE_LEARNING_URL.
Exit codes: 0 ok, 1 failure, 2 usage error, 78 bad configuration.`;

function durationArg(raw: string): number {
  try {
    return parseDuration(raw);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function timeoutArg(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number of milliseconds');
  return n;
}

const kindArgument = (): Argument => new Argument('<kind>', 'the kind of work').choices(KIND_IDS);

/** --config and --data-dir: where a command finds the machine's configuration, key and credential. */
function withConfigFlags(cmd: Program): Program {
  return cmd
    .option('--config <file>', 'configuration file (env INFERENCE_MESH_CONFIG; default: this machine\'s config.json when it exists)')
    .option('--data-dir <dir>', 'where state, mesh.key and admin.token are kept (env INFERENCE_MESH_DATA_DIR)');
}

/** Options of the commands that ask a running agent. */
function withClientOptions(cmd: Program): Program {
  return withConfigFlags(
    cmd
      .option('--url <url>', 'agent to ask, default http://127.0.0.1:7650 (or INFERENCE_MESH_PORT)')
      .option('--json', 'print the raw JSON', false)
      .option('--timeout-ms <ms>', 'give up after this long', timeoutArg, 3000),
  );
}

interface ClientValues {
  url?: string;
  json: boolean;
  timeoutMs: number;
  config?: string;
  dataDir?: string;
}

const configFlags = (o: { config?: string; dataDir?: string }): ConfigFlags => ({ config: o.config, dataDir: o.dataDir });
const clientOptions = (o: ClientValues): ClientOptions => ({ url: o.url, json: o.json, timeoutMs: o.timeoutMs, flags: configFlags(o) });

function defineCommands(program: Program, set: (c: Command) => void): void {
  program
    .command('start')
    .description('run the agent on this machine (API, UI and routing on port 7650)')
    .option('--config <file>', 'configuration file (env INFERENCE_MESH_CONFIG)')
    .option('--data-dir <dir>', 'where state is kept (env INFERENCE_MESH_DATA_DIR)')
    .option('--port <n>', 'agent port, default 7650 (env INFERENCE_MESH_PORT)')
    .option('--mdns-interface <addr>', "announce and browse on this interface's IPv4 address only")
    .option('--key <key>', 'mesh key to join (env INFERENCE_MESH_KEY); visible to other users, prefer `inference-mesh join`')
    .addOption(new Option('--log-format <format>', 'log lines for a terminal, the systemd journal or a log shipper (default: journal under systemd, else text)').choices(LOG_FORMATS))
    .action((o: { config?: string; dataDir?: string; port?: string; mdnsInterface?: string; key?: string; logFormat?: LogFormat }) =>
      set({ command: 'start', flags: { ...configFlags(o), port: o.port, mdnsInterface: o.mdnsInterface, key: o.key }, logFormat: o.logFormat }),
    );

  withConfigFlags(
    program
      .command('join')
      .description("join a mesh: read its key (from `inference-mesh key` on a member) from standard input, a prompt or --key-file, and keep it in mesh.key")
      .option('--key-file <file>', 'read the key from this file instead of standard input'),
  )
    .addHelpText('after', '\nExamples:\n  inference-mesh join                      # asks for the key (not shown as you type)\n  ssh hub sudo inference-mesh key | inference-mesh join\n  inference-mesh join --key-file ./mesh.key')
    .action((o: { keyFile?: string; config?: string; dataDir?: string }) => set({ command: 'join', keyFile: o.keyFile, flags: configFlags(o) }));

  withClientOptions(program.command('status').description('show what the local agent knows about this machine')).action((o: ClientValues) =>
    set({ command: 'status', ...clientOptions(o) }),
  );
  withClientOptions(program.command('nodes').description('list the nodes of the mesh as this agent sees them')).action((o: ClientValues) =>
    set({ command: 'nodes', ...clientOptions(o) }),
  );
  withClientOptions(program.command('placement').description('where Ollama and Immich ML run now, and why, for every candidate')).action((o: ClientValues) =>
    set({ command: 'placement', ...clientOptions(o) }),
  );

  withConfigFlags(
    program
      .command('bench')
      .description('measure Ollama on every offered node that has the model, one at a time: tokens/s, prompt tokens/s, first token, load time')
      .option('--model <name>', 'the model to measure (default: the one most nodes have)')
      .option('--url <url>', 'agent to ask, default http://127.0.0.1:7650 (or INFERENCE_MESH_PORT)')
      .option('--json', 'print the raw JSON', false)
      // A cold load of a large model on each node in turn takes minutes, not the 3 s of a status question.
      .option('--timeout-ms <ms>', 'give up after this long', timeoutArg, 600_000),
  )
    .addHelpText('after', '\nNodes that are out now (a game, outside their window) are skipped, with the reason.\nExample:\n  inference-mesh bench --model llama3.2:3b')
    .action((o: ClientValues & { model?: string }) => set({ command: 'bench', model: o.model, ...clientOptions(o) }));

  withClientOptions(
    program
      .command('offer')
      .description("override this node's offer: now (offer it), off (take it out) or auto (back to its windows)")
      .addArgument(new Argument('<mode>', 'now, off or auto').choices(['now', 'off', 'auto']))
      .addArgument(new Argument('[duration]', 'for how long').argParser(durationArg)),
  )
    .addHelpText('after', DURATION_HELP)
    .action(function (this: Program, mode: 'now' | 'off' | 'auto', forSec: number | undefined, o: ClientValues) {
      if (mode === 'auto' && forSec !== undefined) this.error('error: offer auto takes no duration', { exitCode: EXIT_USAGE, code: 'inference-mesh.usage' });
      const modes = { now: 'offer', off: 'out', auto: 'auto' } as const;
      set({ command: 'offer', mode: modes[mode], forSec: forSec ?? null, ...clientOptions(o) });
    });

  withClientOptions(
    program
      .command('pin')
      .description('route a kind of work to one node')
      .addArgument(kindArgument())
      .argument('<node>', 'node name or id')
      .addArgument(new Argument('[duration]', 'for how long').argParser(durationArg)),
  )
    .addHelpText('after', DURATION_HELP)
    .action((kind: KindId, node: string, forSec: number | undefined, o: ClientValues) =>
      set({ command: 'pin', kind, node, forSec: forSec ?? null, ...clientOptions(o) }),
    );

  withClientOptions(program.command('unpin').description('remove the pin of a kind of work').addArgument(kindArgument())).action((kind: KindId, o: ClientValues) =>
    set({ command: 'unpin', kind, ...clientOptions(o) }),
  );

  withClientOptions(
    program
      .command('settings')
      .description('settings saved on the Setup page: `settings reset [KEY…]` drops them (all when no key is given), so the config file decides again')
      .addArgument(new Argument('<action>', 'reset').choices(['reset']))
      .argument('[keys...]', 'dotted keys, e.g. offer.coolDownSec (a key also drops those under it)'),
  ).action((_action: 'reset', keys: string[], o: ClientValues) => set({ command: 'settings', keys, ...clientOptions(o) }));

  withConfigFlags(program.command('key').description("print this machine's mesh key (give it to other machines' `inference-mesh join`)")).action(
    (o: { config?: string; dataDir?: string }) => set({ command: 'key', flags: configFlags(o) }),
  );
  withConfigFlags(program.command('admin-token').description("print this machine's admin credential (log in on the web page, or Authorization: Bearer)")).action(
    (o: { config?: string; dataDir?: string }) => set({ command: 'admin-token', flags: configFlags(o) }),
  );

  program
    .command('doctor')
    .description("check this machine's setup (port, Ollama bind address, mDNS, Tailscale, Immich key, clock) and print fixes")
    .option('--config <file>', 'configuration file (env INFERENCE_MESH_CONFIG)')
    .option('--port <n>', 'agent port to check, default 7650')
    .option('--json', 'print the results as JSON (exit 1 when any problem)', false)
    .action((o: { config?: string; port?: string; json: boolean }) => set({ command: 'doctor', json: o.json, flags: { config: o.config, port: o.port } }));

  program
    .command('service')
    .description('install | uninstall | status: run the agent at boot or login (systemd, launchd, Task Scheduler)')
    .addArgument(new Argument('<action>', 'install, uninstall or status').choices(['install', 'uninstall', 'status']))
    .option('--user', 'a per-user service (systemd --user, LaunchAgent, logon task) instead of a machine-wide one', false)
    .option('--dry-run', 'print the file it would write and the commands it would run; change nothing', false)
    .option('--config <file>', 'the configuration the service starts with (made absolute)')
    .action((action: 'install' | 'uninstall' | 'status', o: { user: boolean; dryRun: boolean; config?: string }) =>
      set({ command: 'service', action, user: o.user, dryRun: o.dryRun, configPath: o.config }),
    );

  program
    .command('version')
    .description('print the version')
    .action(() => set({ command: 'version' }));
}

/** A fresh program each call: commander keeps parsed values on the instance. */
export function createProgram(out: ParseOutput, set: (c: Command) => void): Program {
  const program = new Program('inference-mesh')
    .usage('<command> [options]')
    .description('One agent per home-lab machine: finds its peers, elects where Ollama and Immich ML run, routes them through one endpoint.')
    .version(AGENT_VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show this usage')
    .helpCommand('help [command]', "show a command's usage")
    .addHelpText('after', ROOT_HELP)
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr })
    .showHelpAfterError('(run `inference-mesh --help` for usage, `inference-mesh <command> --help` for a command\'s own)')
    .showSuggestionAfterError(true)
    .exitOverride();
  defineCommands(program, set);
  return program;
}

/**
 * Parses argv (without node and the script). Help and `--version` are printed here (exit 0); a
 * usage error is printed with its suggestion and yields exit 2.
 */
export function parseCommand(argv: readonly string[], out: ParseOutput): ParseOutcome {
  let command: Command | undefined;
  const program = createProgram(out, (c) => (command = c));
  if (argv.length === 0) {
    out.stderr(`error: no command given\n\n${program.helpInformation()}`);
    return { exitCode: EXIT_USAGE };
  }
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help and --version exit 0; every other CommanderError is a usage error (commander's own
    // exit code for those is 1, which the README gives to failures).
    return { exitCode: err.exitCode === 0 ? 0 : EXIT_USAGE };
  }
  return command ? { command } : { exitCode: EXIT_USAGE };
}
