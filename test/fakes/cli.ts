/**
 * Runs a fake by hand for demos and manual testing (loopback only):
 *
 *   node --import tsx test/fakes/cli.ts ollama --port 11435 --models llama3.2:3b,qwen2.5:7b
 *   node --import tsx test/fakes/cli.ts immich-ml --port 3004 --delay-ms 200
 *   node --import tsx test/fakes/cli.ts whisper --port 8001 --models Systran/faster-whisper-small
 *
 * Prints the URL on stdout, then serves until SIGINT/SIGTERM, then stops cleanly (exit 0).
 * Bad arguments print the usage and exit 2.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { createFakeImmichMl } from './fake-immich-ml.js';
import { createFakeOllama } from './fake-ollama.js';
import type { FakeOllamaOptions } from './fake-ollama.js';
import type { FakeImmichMlOptions } from './fake-immich-ml.js';
import { createFakeWhisper, DEFAULT_WHISPER_MODELS } from './fake-whisper.js';
import type { FakeWhisperOptions } from './fake-whisper.js';

const USAGE = `usage:
  node --import tsx test/fakes/cli.ts ollama --port N [--models a:tag,b] [--tokens-per-sec N]
      [--first-token-delay-ms N] [--load-delay-ms N] [--version X] [--hang]
      [--report-tokens-per-sec N [--report-prompt-tokens-per-sec N] [--pace-reported]]
  node --import tsx test/fakes/cli.ts immich-ml --port N [--delay-ms N] [--hang]
  node --import tsx test/fakes/cli.ts whisper --port N [--models a,b] [--text "..."]
      [--delay-ms N] [--stream-interval-ms N] [--api-key K] [--accept-any-bytes] [--hang]
All listen on 127.0.0.1 only; --port 0 picks a free port.`;

class UsageError extends Error {}

const OPTIONS = {
  ollama: {
    port: { type: 'string' },
    models: { type: 'string' },
    'tokens-per-sec': { type: 'string' },
    'first-token-delay-ms': { type: 'string' },
    'load-delay-ms': { type: 'string' },
    'report-tokens-per-sec': { type: 'string' },
    'report-prompt-tokens-per-sec': { type: 'string' },
    'pace-reported': { type: 'boolean' },
    version: { type: 'string' },
    hang: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  'immich-ml': {
    port: { type: 'string' },
    'delay-ms': { type: 'string' },
    hang: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  whisper: {
    port: { type: 'string' },
    models: { type: 'string' },
    text: { type: 'string' },
    'delay-ms': { type: 'string' },
    'stream-interval-ms': { type: 'string' },
    'api-key': { type: 'string' },
    'accept-any-bytes': { type: 'boolean' },
    hang: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
} satisfies Record<string, NonNullable<ParseArgsConfig['options']>>;

function number(name: string, raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new UsageError(`--${name} must be a number from 0 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function port(raw: string | undefined): number {
  const value = number('port', raw, 65535);
  if (value === undefined) throw new UsageError('--port is required');
  if (!Number.isInteger(value)) throw new UsageError(`--port must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

interface Fake {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly url: string;
}

function buildFake(argv: string[]): { fake: Fake; summary: string } {
  const [command, ...rest] = argv;
  if (command === 'ollama') {
    const { values } = parseArgs({ args: rest, options: OPTIONS.ollama, strict: true, allowPositionals: false });
    if (values.help === true) throw new UsageError('');
    const models = (values.models ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '').map((name) => ({ name }));
    const opts: FakeOllamaOptions = { port: port(values.port), models };
    const tokensPerSec = number('tokens-per-sec', values['tokens-per-sec']);
    const firstTokenDelayMs = number('first-token-delay-ms', values['first-token-delay-ms']);
    const loadDelayMs = number('load-delay-ms', values['load-delay-ms']);
    if (tokensPerSec !== undefined) opts.tokensPerSec = tokensPerSec;
    if (firstTokenDelayMs !== undefined) opts.firstTokenDelayMs = firstTokenDelayMs;
    if (loadDelayMs !== undefined) opts.loadDelayMs = loadDelayMs;
    if (values.version !== undefined) opts.version = values.version;
    if (values.hang === true) opts.hang = true;
    const reportTokensPerSec = number('report-tokens-per-sec', values['report-tokens-per-sec']);
    const reportPromptTokensPerSec = number('report-prompt-tokens-per-sec', values['report-prompt-tokens-per-sec']);
    if (reportTokensPerSec !== undefined) {
      if (reportTokensPerSec <= 0) throw new UsageError('--report-tokens-per-sec must be more than 0');
      if (reportPromptTokensPerSec === 0) throw new UsageError('--report-prompt-tokens-per-sec must be more than 0');
      opts.reportedSpeed = {
        tokensPerSec: reportTokensPerSec,
        ...(reportPromptTokensPerSec === undefined ? {} : { promptTokensPerSec: reportPromptTokensPerSec }),
        pace: values['pace-reported'] === true,
      };
    } else if (reportPromptTokensPerSec !== undefined || values['pace-reported'] === true) {
      throw new UsageError('--report-prompt-tokens-per-sec and --pace-reported need --report-tokens-per-sec');
    }
    let fake: Fake;
    try {
      fake = createFakeOllama(opts);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const speed = opts.reportedSpeed === undefined ? '' : `; reporting ${opts.reportedSpeed.tokensPerSec} tokens/s${opts.reportedSpeed.pace === true ? ', paced' : ''}`;
    return { fake, summary: `fake Ollama ${opts.version ?? '0.33.0'} with ${models.length} model(s): ${models.map((m) => m.name).join(', ') || '(none)'}${speed}` };
  }
  if (command === 'immich-ml') {
    const { values } = parseArgs({ args: rest, options: OPTIONS['immich-ml'], strict: true, allowPositionals: false });
    if (values.help === true) throw new UsageError('');
    const opts: FakeImmichMlOptions = { port: port(values.port) };
    const delayMs = number('delay-ms', values['delay-ms']);
    if (delayMs !== undefined) opts.delayMs = delayMs;
    if (values.hang === true) opts.hang = true;
    return { fake: createFakeImmichMl(opts), summary: `fake Immich ML${delayMs !== undefined ? `, /predict delayed ${delayMs} ms` : ''}` };
  }
  if (command === 'whisper') {
    const { values } = parseArgs({ args: rest, options: OPTIONS.whisper, strict: true, allowPositionals: false });
    if (values.help === true) throw new UsageError('');
    const opts: FakeWhisperOptions = { port: port(values.port) };
    const models = values.models?.split(',').map((m) => m.trim()).filter((m) => m !== '') ?? [...DEFAULT_WHISPER_MODELS];
    if (models.length === 0) throw new UsageError('--models needs at least one model id');
    opts.models = models;
    if (values.text !== undefined) opts.text = values.text;
    const delayMs = number('delay-ms', values['delay-ms']);
    const streamIntervalMs = number('stream-interval-ms', values['stream-interval-ms']);
    if (delayMs !== undefined) opts.delayMs = delayMs;
    if (streamIntervalMs !== undefined) opts.streamIntervalMs = streamIntervalMs;
    if (values['api-key'] !== undefined) opts.apiKey = values['api-key'];
    if (values['accept-any-bytes'] === true) opts.acceptAnyBytes = true;
    if (values.hang === true) opts.hang = true;
    let fake: Fake;
    try {
      fake = createFakeWhisper(opts);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    return { fake, summary: `fake speech-to-text (speaches) with ${models.length} model(s): ${models.join(', ')}` };
  }
  throw new UsageError(command === undefined ? 'missing command' : `unknown command ${JSON.stringify(command)}`);
}

function parse(argv: string[]): { fake: Fake; summary: string } | undefined {
  try {
    return buildFake(argv);
  } catch (err) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed flags.
    const message = err instanceof Error ? err.message : String(err);
    if (message !== '') process.stderr.write(`${message}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return undefined;
  }
}

const parsed = parse(process.argv.slice(2));
if (parsed !== undefined) {
  const { fake, summary } = parsed;
  try {
    await fake.start();
  } catch (err) {
    process.stderr.write(`cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${fake.url}\n`);
  process.stderr.write(`${summary}; Ctrl-C to stop\n`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    process.stderr.write(`${signal}: stopping\n`);
    fake.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
