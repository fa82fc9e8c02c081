/**
 * Command-line parsing (node:util parseArgs, strict): an unknown command or flag is a UsageError,
 * which main.ts turns into the usage text and exit code 2.
 */
import { parseArgs } from 'node:util';
import type { ConfigFlags } from '../config.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type Command =
  | { command: 'start'; flags: ConfigFlags }
  | { command: 'status' | 'nodes'; url: string | undefined; json: boolean; timeoutMs: number }
  | { command: 'key'; flags: ConfigFlags }
  | { command: 'help' }
  | { command: 'version' };

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
      case 'key': {
        const { values } = parseArgs({
          args: [...rest],
          strict: true,
          allowPositionals: false,
          options: { config: { type: 'string' }, 'data-dir': { type: 'string' } },
        });
        return { command: 'key', flags: { config: values.config, dataDir: values['data-dir'] } };
      }
      case 'status':
      case 'nodes': {
        const { values } = parseArgs({
          args: [...rest],
          strict: true,
          allowPositionals: false,
          options: { url: { type: 'string' }, json: { type: 'boolean', default: false }, 'timeout-ms': { type: 'string' } },
        });
        const timeoutMs = values['timeout-ms'] === undefined ? 3000 : Number(values['timeout-ms']);
        if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout-ms must be a positive whole number');
        return { command, url: values.url, json: values.json, timeoutMs };
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
