/**
 * Issue 13's "done when", across hosts: network namespaces on one bridge, real mDNS, real agents
 * started with the real command, and a speech-to-text server (test/fakes/fake-whisper.ts, which
 * follows speaches' wire format, started as `npm run fake:whisper` does) on the gaming PC's
 * 127.0.0.1:8000 only, so nothing but the PC's own agent can reach it:
 *
 *   hub: no speech-to-text server (`services.whisper` off, the default)
 *   pc:  node name gaming-pc, `services.whisper` = { enabled: true, url: http://127.0.0.1:8000 }
 *
 * From the hub: the placement elects the PC for `whisper`, a multipart transcription through the
 * hub's agent is the server's own JSON answer marked as served by gaming-pc, the real CLI lists it,
 * and the PC's server cannot be reached directly. The loopback version with the expected answers is
 * test/integration/whisper.test.ts. One lab and one set of agents serve every case of the file; the
 * cases run in order. Needs root (CI runs as root); skipped elsewhere. Namespaces and processes are
 * removed in afterAll, also when a case fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../discovery/types.js';
import { placementAnswerSchema, type PlacementAnswer } from '../../scheduler/routing-status.js';
import { silentWav } from '../fakes/fake-whisper.js';
import { BIN } from '../helpers/cli.js';
import { AGENT_PORT, startLabAgent, waitUntil, type LabAgent } from './agents.js';
import { collectOutput, createNetnsLab, netnsAvailable, type Lab } from './netns.js';

const available = await netnsAvailable();
const KEY = 'netns-whisper-mesh-key-0123456789';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PC_NAME = 'gaming-pc';
/** speaches' default port (PROTOCOLS.md §8). */
const STT_PORT = 8000;
const STT_URL = `http://127.0.0.1:${STT_PORT}`;
const MODEL = 'Systran/faster-whisper-small';
const TEXT = 'Turn on the kitchen lights.';
const AGENT_URL = `http://127.0.0.1:${AGENT_PORT}`;
/** Generous bounds for discovery and elections on a loaded 2-core box: expectations, not timing assertions. */
const WAIT_MS = 30_000;
/** Every poll runs a node process inside a namespace: poll gently on a 2-core box. */
const POLL_MS = 250;
/** lab.spawn merges its env over process.env: a developer's OLLAMA_HOST can only be emptied (agent/config.ts ignores empty overrides). */
const AGENT_ENV = { OLLAMA_HOST: '', IMMICH_MACHINE_LEARNING_URL: '' };
const OFF = { ollama: { enabled: false }, 'immich-ml': { enabled: false } };

/** One GET from inside a namespace with plain node, answered as text; a failed connection names its errno. */
const GET_SCRIPT = `
fetch(process.argv[1]).then(async (r) => {
  const text = await r.text();
  if (!r.ok) throw new Error(r.status + ' ' + text);
  process.stdout.write(text);
}).catch((e) => { console.error(String(e) + ' ' + (e.cause?.code ?? '')); process.exit(1); });`;

/** A multipart transcription request (`file` a WAV read from disk, `model`); prints status, serving node and body. */
const TRANSCRIBE_SCRIPT = `
const { readFileSync } = require('node:fs');
const [url, wavFile, model] = process.argv.slice(1);
const form = new FormData();
form.set('file', new Blob([readFileSync(wavFile)], { type: 'audio/wav' }), 'note.wav');
form.set('model', model);
fetch(url, { method: 'POST', body: form })
  .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, node: r.headers.get('x-inference-mesh-node'), contentType: r.headers.get('content-type'), body: await r.text() })))
  .catch((e) => { console.error(String(e) + ' ' + (e.cause?.code ?? '')); process.exit(1); });`;

describe.skipIf(!available)('speech-to-text as the third kind across hosts (netns, issue 13)', () => {
  let lab: Lab | undefined;
  let baseDir = '';
  let wavFile = '';
  const agents = new Map<string, LabAgent>();
  const logs = (): string => [...agents.values()].map((a) => `----- agent ${a.host} -----\n${a.output().slice(-6000)}`).join('\n');

  const theLab = (): Lab => {
    if (!lab) throw new Error('no lab');
    return lab;
  };
  const get = (from: string, target: string): Promise<string> => theLab().exec(from, [process.execPath, '-e', GET_SCRIPT, target], { timeoutMs: 15_000 });
  const hubPlacement = async (): Promise<PlacementAnswer> => placementAnswerSchema.parse(JSON.parse(await get('hub', `${AGENT_URL}/api/v1/placement`)));
  const electedName = (p: PlacementAnswer): string | null => p.kinds.whisper.candidates.find((c) => c.nodeId === p.kinds.whisper.elected)?.name ?? null;

  const wait = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    try {
      await waitUntil(check, WAIT_MS, what, POLL_MS);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${logs()}`, { cause: err });
    }
  };

  beforeAll(async () => {
    lab = await createNetnsLab({ hosts: ['hub', 'pc'] });
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'im-netns-whisper-'));
    wavFile = path.join(baseDir, 'note.wav');
    await writeFile(wavFile, silentWav(1));

    // What `npm run fake:whisper -- --port 8000 ...` runs, without npm's extra process in between.
    const stt = lab.spawn('pc', [process.execPath, '--import', 'tsx', 'test/fakes/cli.ts', 'whisper', '--port', String(STT_PORT), '--models', MODEL, '--text', TEXT], { cwd: REPO });
    await collectOutput(stt).waitFor(STT_URL, 20_000);

    agents.set('pc', await startLabAgent(lab, 'pc', {
      key: KEY,
      baseDir,
      env: AGENT_ENV,
      config: { node: { name: PC_NAME }, services: { ...OFF, whisper: { enabled: true, url: STT_URL } }, probes: { servicesIntervalSec: 2 } },
    }));
    agents.set('hub', await startLabAgent(lab, 'hub', { key: KEY, baseDir, env: AGENT_ENV, config: { services: OFF, probes: { servicesIntervalSec: 2 } } }));

    await wait(async () => {
      const pc = JSON.parse(await get('hub', `${AGENT_URL}/api/v1/nodes`)) as { nodes: NodeRecord[] };
      if (pc.nodes.find((n) => n.name === PC_NAME)?.state !== 'up') return false;
      return electedName(await hubPlacement()) === PC_NAME;
    }, `the hub to elect ${PC_NAME} for Whisper`);
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  }, 60_000);

  it('GET /api/v1/placement on the hub elects gaming-pc for whisper; the hub has no Whisper', async () => {
    const p = await hubPlacement();
    expect(electedName(p)).toBe(PC_NAME);
    expect(p.kinds.whisper.candidates.map((c) => [c.name, c.eligible])).toEqual(expect.arrayContaining([[PC_NAME, true], ['hub', false]]));
    expect(p.kinds.whisper.candidates.find((c) => c.name === 'hub')?.reason).toBe('no Whisper');
  });

  it('a multipart transcription through the hub’s agent is the server’s JSON, served by gaming-pc', async () => {
    const res = JSON.parse(
      await theLab().exec('hub', [process.execPath, '-e', TRANSCRIBE_SCRIPT, `${AGENT_URL}/whisper/v1/audio/transcriptions`, wavFile, MODEL], { timeoutMs: 15_000 }),
    ) as { status: number; node: string | null; contentType: string | null; body: string };
    expect(res.status).toBe(200);
    expect(res.node).toBe(PC_NAME);
    expect(res.contentType).toMatch(/^application\/json/);
    // speaches' `json` response_format (the default): the fake's fixed text, null logprobs and usage.
    expect(JSON.parse(res.body)).toEqual({ text: TEXT, logprobs: null, usage: null });
  });

  it('the server is on the PC’s loopback only: the hub cannot reach it directly', async () => {
    const pcAddr = theLab().host('pc').address;
    // Listening, on the PC itself (speaches answers {"message":"OK"} at /health)...
    expect(JSON.parse(await get('pc', `${STT_URL}/health`))).toEqual({ message: 'OK' });
    // ...but not on the PC's LAN address, so only the PC's agent could have served the request above.
    await expect(get('hub', `http://${pcAddr}:${STT_PORT}/health`)).rejects.toThrow(/ECONNREFUSED/);
    await expect(get('pc', `http://${pcAddr}:${STT_PORT}/health`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('`inference-mesh placement` run against the hub lists Whisper → gaming-pc', async () => {
    const out = await theLab().exec('hub', [process.execPath, BIN, 'placement', '--url', AGENT_URL], { timeoutMs: 15_000 });
    expect(out).toMatch(new RegExp(`^Whisper → ${PC_NAME} — `, 'm'));
    expect(out).toMatch(new RegExp(`^ {2}✓ ${PC_NAME} `, 'm'));
    expect(out).toMatch(/^ {2}✗ hub +no Whisper$/m);
  });
});
