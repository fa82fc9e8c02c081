/**
 * `npm run bench:hostile`: issue 11's attacks from a hostile LAN host against the built agent as
 * `npm start` runs it (heap capped at 128 MB), in a netns lab (never the outside network; needs
 * root). Prints one table row per attack: the answer, and the agent's RSS before and after.
 * Asserts nothing (test/netns/hostile.test.ts and test/integration/hardening.test.ts do, briefly).
 *
 * Hosts: hub (the agent and a fake Ollama on its loopback), lan (an allowed client and the
 * attacker), out (a client outside proxy.allowedCidrs). About 70 s.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { meshFingerprint } from '../../discovery/mesh-key.js';
import { createNetnsLab, netnsAvailable, type Lab } from '../netns/netns.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_MAIN = path.join(ROOT, 'dist/agent/main.cjs');
const FLOOD = path.join(ROOT, 'test/netns/fixtures/mdns-flood.ts');
const FAKES = path.join(ROOT, 'test/fakes/cli.ts');
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
const NODE_FLAGS = /^node ((?:--\S+ )*)dist\/agent\/main\.c?js/.exec(pkg.scripts.start)?.[1]?.trim().split(' ').filter(Boolean) ?? [];
const PORT = 7650;
const OLLAMA_PORT = 11434;
const KEY = 'bench-hostile-mesh-key-0123456789';

if (!(await netnsAvailable())) {
  console.error('bench:hostile needs root and network namespaces');
  process.exit(2);
}

const rows: { attack: string; answer: string; before: number; after: number }[] = [];
const lab: Lab = await createNetnsLab({ hosts: ['hub', 'lan', 'out'] });
const dir = await mkdtemp(path.join(os.tmpdir(), 'im-bench-hostile-'));
try {
  const hubAddr = lab.host('hub').address;
  const lanAddr = lab.host('lan').address;
  const base = `http://${hubAddr}:${PORT}`;

  const ollama = lab.spawn('hub', [process.execPath, '--import', 'tsx', FAKES, 'ollama', '--port', String(OLLAMA_PORT), '--models', 'llama3.2:3b,old-model'], { cwd: ROOT });
  await new Promise<void>((resolve) => ollama.stdout?.once('data', () => resolve()));

  await mkdir(path.join(dir, 'data'), { recursive: true });
  const config = path.join(dir, 'agent.config.json');
  await writeFile(
    config,
    JSON.stringify({
      node: { name: 'hub' },
      services: { ollama: { url: `http://127.0.0.1:${OLLAMA_PORT}` }, 'immich-ml': { enabled: false } },
      discovery: { tailnet: { enabled: false } },
      probes: { servicesIntervalSec: 2 },
      proxy: { allowedCidrs: [`${hubAddr}/32`, `${lanAddr}/32`] },
    }),
  );
  const agent = lab.spawn('hub', [process.execPath, ...NODE_FLAGS, DIST_MAIN, 'start', '--config', config, '--data-dir', path.join(dir, 'data'), '--port', String(PORT), '--key', KEY, '--mdns-interface', hubAddr], { cwd: ROOT });
  let output = '';
  agent.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  agent.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; !output.includes('agent ready'); i++) {
    if (i > 400 || agent.exitCode !== null) throw new Error(`the agent did not start:\n${output}`);
    await sleep(50);
  }
  const pid = agent.pid ?? 0;
  /** NaN once the agent is gone (the attack killed it). */
  const rssMb = async (): Promise<number> => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  };
  const alive = async (): Promise<string> => {
    if (agent.exitCode !== null || agent.signalCode !== null) return `AGENT DIED (${agent.exitCode ?? agent.signalCode})`;
    const r = await run('lan', `const r = await fetch('${base}/api/v1/health', { signal: AbortSignal.timeout(5000) }); console.log(JSON.stringify(r.status));`).catch(() => 'no answer');
    return r === '200' ? 'answering' : `health: ${r}`;
  };
  /** Runs an ES module snippet with node inside `host`; resolves its stdout. */
  const run = async (host: string, script: string, timeoutMs = 120_000): Promise<string> =>
    (await lab.exec(host, [process.execPath, '--input-type=module', '-e', script], { cwd: ROOT, timeoutMs })).trim();
  const measure = async (attack: string, act: () => Promise<string>): Promise<void> => {
    const before = await rssMb();
    const started = performance.now();
    const answer = await act().catch((err: unknown) => `FAILED: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 120) ?? ''}`);
    await sleep(1000);
    rows.push({ attack, answer: `${answer}; ${await alive()}`, before, after: await rssMb() });
    console.error(`done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${attack}`);
  };
  // Election of the local Ollama first, so routed requests have a target.
  for (let i = 0; i < 100 && !(await run('hub', `const r = await fetch('http://127.0.0.1:${PORT}/api/v1/placement'); const p = await r.json(); console.log(p.kinds.ollama.elected ? 'y' : 'n');`)).includes('y'); i++) await sleep(200);
  await sleep(3000); // settle after start
  const startRss = await rssMb();
  const t0 = performance.now();

  const rawSend = (head: string, chunked: boolean): string => `
    import net from 'node:net';
    const t0 = performance.now(); let sent = 0; let answer = '';
    const chunk = ${chunked} ? Buffer.from('10000\\r\\n' + 'x'.repeat(65536) + '\\r\\n') : Buffer.alloc(65536);
    const s = net.connect(${PORT}, '${hubAddr}', () => { s.write(${JSON.stringify(head)}); pump(); });
    const pump = () => { while (!answer && !s.destroyed && sent < 2 ** 31) { sent += chunk.length; if (!s.write(chunk)) return; } };
    s.on('drain', pump); s.on('error', () => {});
    s.on('data', (d) => { if (!answer) answer = d.toString('latin1').split('\\r\\n')[0] + ' after ' + Math.round(performance.now() - t0) + ' ms'; });
    s.on('close', () => console.log(JSON.stringify({ answer: answer || 'closed without answer', sentMb: (sent / 1048576).toFixed(1) })));
    setTimeout(() => s.destroy(), 30000).unref();`;

  await measure('endless chunked body to POST /api/v1/login', async () => {
    const r = JSON.parse(await run('lan', rawSend('POST /api/v1/login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', true))) as { answer: string; sentMb: string };
    return `${r.answer}; client sent ${r.sentMb} MB before the agent closed`;
  });
  await measure('Content-Length: 2147483648 on POST /ollama/api/chat', async () => {
    const r = JSON.parse(await run('lan', rawSend('POST /ollama/api/chat HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n', false))) as { answer: string; sentMb: string };
    return `${r.answer}; client sent ${r.sentMb} MB before the agent closed`;
  });
  await measure('client outside allowedCidrs: /api/v1/nodes, /node, /placement, /metrics, /, /ollama/api/tags', async () => {
    const urls = ['/api/v1/nodes', '/api/v1/node', '/api/v1/placement', '/metrics', '/', '/ollama/api/tags'];
    return `HTTP ${await run('out', `const out = []; for (const u of ${JSON.stringify(urls)}) out.push((await fetch('${base}' + u)).status); console.log(out.join(', '));`)}`;
  });
  await measure('model management without the credential (delete, pull, create, copy, push)', async () => {
    const calls = [['DELETE', '/api/delete', { model: 'old-model' }], ['POST', '/api/pull', { model: 'x' }], ['POST', '/api/create', { model: 'y', from: 'old-model' }], ['POST', '/api/copy', { source: 'old-model', destination: 'z' }], ['POST', '/api/push', { model: 'old-model' }]];
    const statuses = await run('lan', `const out = []; for (const [m, p, b] of ${JSON.stringify(calls)}) out.push((await fetch('${base}/ollama' + p, { method: m, headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })).status); console.log(out.join(', '));`);
    const tags = await run('lan', `const r = await (await fetch('${base}/ollama/api/tags')).json(); console.log(r.models.map((m) => m.name).join(' '));`);
    const chat = await run('lan', `const r = await fetch('${base}/ollama/api/chat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: false }) }); console.log(r.status);`);
    return `HTTP ${statuses}; models still: ${tags}; inference from the LAN: HTTP ${chat}`;
  });

  // The keep-alive check idles 20 s while the floods run, so it also shows the agent serving under one.
  const keepAlive = run('lan', `
    import http from 'node:http';
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () => new Promise((resolve, reject) => { const req = http.get('${base}/api/v1/health', { agent }, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket })); }); req.on('error', reject); });
    const first = await get(); await new Promise((r) => setTimeout(r, 20000));
    try { const second = await get(); console.log('HTTP ' + first.status + ' then, after 20 s idle, HTTP ' + second.status + ' on the ' + (second.reused ? 'same' : 'a NEW') + ' connection'); }
    catch (e) { console.log('after 20 s idle: ' + e.code); }
    agent.destroy();`).catch((err: unknown) => `FAILED: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 120) ?? ''}`);
  const kaBefore = await rssMb();

  const linesBefore = output.split('\n').length;
  await measure('2,000 random UDP datagrams to 224.0.0.251:5353', async () => {
    const r = JSON.parse(await lab.exec('lan', [process.execPath, '--import', 'tsx', FLOOD, '--from', lanAddr, '--count', '2000', '--random', '--per-sec', '2000'], { cwd: ROOT, timeoutMs: 60_000 })) as { sent: number };
    return `${r.sent} sent`;
  });
  for (const burst of [1, 2]) {
    await measure(`burst ${burst}: 20,000 distinct mDNS adverts, 8 KB TXT`, async () => {
      const r = JSON.parse(await lab.exec('lan', [process.execPath, '--import', 'tsx', FLOOD, '--from', lanAddr, '--count', '20000', '--pad', '8000', '--per-sec', '4000', '--prefix', `b${burst}`], { cwd: ROOT, timeoutMs: 120_000 })) as { sent: number; ms: number };
      return `${r.sent} sent in ${(r.ms / 1000).toFixed(1)} s`;
    });
  }
  await measure('5,000 adverts copying the mesh fingerprint (each looks worth verifying)', async () => {
    const r = JSON.parse(await lab.exec('lan', [process.execPath, '--import', 'tsx', FLOOD, '--from', lanAddr, '--count', '5000', '--mesh', meshFingerprint(KEY), '--per-sec', '2500', '--prefix', 'copy'], { cwd: ROOT, timeoutMs: 120_000 })) as { sent: number; ms: number };
    return `${r.sent} sent in ${(r.ms / 1000).toFixed(1)} s`;
  });
  // Every line the agent wrote during the UDP attacks, not only those about adverts.
  const floodLines = output.split('\n').slice(linesBefore - 1).filter((l) => l.trim() !== '');
  rows.push({ attack: 'idle keep-alive connection (during the floods)', answer: await keepAlive, before: kaBefore, after: await rssMb() });
  const settleBefore = await rssMb();
  await sleep(10_000);
  rows.push({ attack: 'after 10 s of quiet', answer: `${floodLines.length} log lines during the UDP attacks; ${await alive()}`, before: settleBefore, after: await rssMb() });

  rows.push({ attack: 'all of the above, from the idle agent after start', answer: `${((performance.now() - t0) / 1000).toFixed(0)} s of attacks; ${await alive()}`, before: startRss, after: await rssMb() });
  const w = Math.max(...rows.map((r) => r.attack.length));
  console.log(`\n${'attack'.padEnd(w)}  RSS before → after  answer`);
  const mb = (v: number): string => (Number.isNaN(v) ? 'gone' : v.toFixed(1)).padStart(6);
  for (const r of rows) console.log(`${r.attack.padEnd(w)}  ${mb(r.before)} → ${mb(r.after)} MB  ${r.answer}`);
  const shown = floodLines.slice(0, 10).map((l) => `  ${l.slice(0, 200)}`);
  if (floodLines.length > shown.length) shown.push(`  … and ${floodLines.length - shown.length} more`);
  console.log(`\nlog lines during the UDP attacks:\n${shown.join('\n')}`);
} finally {
  await lab.destroy();
  await rm(dir, { recursive: true, force: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
