/**
 * Command-line parsing (node:util parseArgs, strict): an unknown command or flag is a UsageError,
 * which main.ts turns into the usage text and exit code 2.
 */
import { parseArgs } from 'node:util';
import type { ConfigFlags } from '../config.js';
import { serviceKindSchema, type ServiceKind } from '../../scheduler/offer-schema.js';
import { parseDuration } from './duration.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Options every command that talks to a running agent takes. */
export interface ClientOptions {
  url: string | undefined;
  json: boolean;
  timeoutMs: number;
  /** Where to find this machine's admin credential (for changes). */
  flags: ConfigFlags;
}

export type Command =
  | { command: 'start'; flags: ConfigFlags }
  | ({ command: 'status' | 'nodes' } & ClientOptions)
  | ({ command: 'placement' } & ClientOptions)
  | ({ command: 'offer'; mode: 'offer' | 'out' | 'auto'; forSec: number | null } & ClientOptions)
  | ({ command: 'pin'; kind: ServiceKind; node: string; forSec: number | null } & ClientOptions)
  | ({ command: 'unpin'; kind: ServiceKind } & ClientOptions)
  | ({ command: 'settings'; keys: string[] } & ClientOptions)
  | { command: 'key' | 'admin-token'; flags: ConfigFlags }
  | { command: 'doctor'; json: boolean; flags: ConfigFlags }
  | { command: 'service'; action: 'install' | 'uninstall' | 'status'; user: boolean; dryRun: boolean; configPath: string | undefined }
  | { command: 'help' }
  | { command: 'version' };

const clientOptions = {
  url: { type: 'string' },
  json: { type: 'boolean', default: false },
  'timeout-ms': { type: 'string' },
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

function client(rest: readonly string[], positionals: { min: number; max: number; usage: string }): { opts: ClientOptions; args: string[] } {
  const { values, positionals: args } = parseArgs({ args: [...rest], strict: true, allowPositionals: true, options: clientOptions });
  if (args.length < positionals.min || args.length > positionals.max) throw new UsageError(`usage: inference-mesh ${positionals.usage}`);
  const timeoutMs = values['timeout-ms'] === undefined ? 3000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout-ms must be a positive whole number');
  return { opts: { url: values.url, json: values.json, timeoutMs, flags: { config: values.config, dataDir: values['data-dir'] } }, args };
}

function kind(raw: string | undefined): ServiceKind {
  const parsed = serviceKindSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`unknown service kind "${raw ?? ''}"; use ollama or immich-ml`);
  return parsed.data;
}

function duration(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  try {
    return parseDuration(raw);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start': {
        const { values } = parseArgs({
          args: [...rest],
          strict: true,
          allowPositionals: false,
          options: {
            config: { type: 'string' },
            'data-dir': { type: 'string' },
            port: { type: 'string' },
            'mdns-interface': { type: 'string' },
            key: { type: 'string' },
          },
        });
        return {
          command: 'start',
          flags: { config: values.config, dataDir: values['data-dir'], port: values.port, mdnsInterface: values['mdns-interface'], key: values.key },
        };
      }
      case 'key':
      case 'admin-token': {
        const { values } = parseArgs({
          args: [...rest],
          strict: true,
          allowPositionals: false,
          options: { config: { type: 'string' }, 'data-dir': { type: 'string' } },
        });
        return { command, flags: { config: values.config, dataDir: values['data-dir'] } };
      }
      case 'service': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          strict: true,
          allowPositionals: true,
          options: { user: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false }, config: { type: 'string' } },
        });
        const action = (['install', 'uninstall', 'status'] as const).find((a) => a === positionals[0]);
        if (!action || positionals.length !== 1) throw new UsageError('usage: inference-mesh service install|uninstall|status [--user] [--dry-run] [--config FILE]');
        return { command: 'service', action, user: values.user, dryRun: values['dry-run'], configPath: values.config };
      }
      case 'doctor': {
        const { values } = parseArgs({
          args: [...rest],
          strict: true,
          allowPositionals: false,
          options: { config: { type: 'string' }, port: { type: 'string' }, json: { type: 'boolean', default: false } },
        });
        return { command: 'doctor', json: values.json, flags: { config: values.config, port: values.port } };
      }
      case 'status':
      case 'nodes':
        return { command, ...client(rest, { min: 0, max: 0, usage: command }).opts };
      case 'placement':
        return { command, ...client(rest, { min: 0, max: 0, usage: command }).opts };
      case 'offer': {
        const { opts, args } = client(rest, { min: 1, max: 2, usage: 'offer now [DURATION] | off [DURATION] | auto' });
        const modes = { now: 'offer', off: 'out', auto: 'auto' } as const;
        const mode = modes[args[0] as keyof typeof modes];
        if (!mode) throw new UsageError(`unknown offer mode "${args[0] ?? ''}"; use now, off or auto`);
        if (mode === 'auto' && args[1] !== undefined) throw new UsageError('offer auto takes no duration');
        return { command: 'offer', mode, forSec: duration(args[1]), ...opts };
      }
      case 'pin': {
        const { opts, args } = client(rest, { min: 2, max: 3, usage: 'pin <ollama|immich-ml> <node> [DURATION]' });
        return { command: 'pin', kind: kind(args[0]), node: args[1] as string, forSec: duration(args[2]), ...opts };
      }
      case 'unpin': {
        const { opts, args } = client(rest, { min: 1, max: 1, usage: 'unpin <ollama|immich-ml>' });
        return { command: 'unpin', kind: kind(args[0]), ...opts };
      }
      case 'settings': {
        const { opts, args } = client(rest, { min: 1, max: 100, usage: 'settings reset [KEY…]' });
        if (args[0] !== 'reset') throw new UsageError('usage: inference-mesh settings reset [KEY…]');
        return { command: 'settings', keys: args.slice(1), ...opts };
      }
      case 'help':
      case '--help':
      case '-h':
        return { command: 'help' };
      case 'version':
      case '--version':
      case '-v':
        return { command: 'version' };
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs throws TypeError with ERR_PARSE_ARGS_* codes for unknown or malformed flags.
    throw new UsageError((err as Error).message);
  }
}
