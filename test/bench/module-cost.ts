/**
 * npm run bench:modules [-- --runs 3]
 *
 * What each module costs the agent at start (issue 14: idle RSS ≤ 70 MB). Each row imports one
 * module into a fresh node child with the flags of `npm start` (read from package.json), after its
 * prerequisites are already loaded, so the row shows what that module adds on its own: RSS, V8
 * heap in use (after a full GC) and load time. Imports the built JavaScript in dist/, what
 * production runs. Median of `--runs` children per row. Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
const NODE_FLAGS = /^node ((?:--\S+ )*)dist\/agent\/main\.c?js/.exec(pkg.scripts.start)?.[1]?.trim().split(' ').filter(Boolean) ?? [];

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);

const dist = (file: string): string => new URL(`../../dist/${file}`, import.meta.url).href;

interface Row {
  label: string;
  /**
   * What is imported (package names or dist/ file URLs); `require:x` is loaded with require() as
   * agent/si-node.ts does; a name from ACTIONS runs that code instead (Node's own lazily loaded
   * parts: undici behind fetch, ICU's data behind Intl).
   */
  target: string | string[];
  /** Loaded before the first measurement: the row is the cost over these (and the loaders' warm-up). */
  after?: string[];
  /** Without the warm-up import. */
  bare?: boolean;
}

/** Node's parts that load on first use, by what the agent does that first uses them. */
const ACTIONS: Record<string, string> = {
  fetch: "await (await fetch('data:,x')).text()",
  'intl-tz': "new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', hour: 'numeric' }).format(0); Intl.DateTimeFormat().resolvedOptions().timeZone",
  collate: "'b'.localeCompare('a')",
  graphemes: "[...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment('né')]",
};
/**
 * Loaded first in every child (but the first row's): the first import of a file sets up Node's
 * module loaders, a few MB that would otherwise be charged to whichever row comes first.
 */
const WARM_UP = dist('agent/kernel/version.js');
const THIRD_PARTY = ['zod', 'hono', '@hono/node-server'];
/** What agent/si-node.ts requires instead of the package's index. */
const SI_LIBS = ['cpu', 'memory', 'osinfo', 'graphics'].map((f) => `require:systeminformation/lib/${f}`);

const ROWS: Row[] = [
  { label: 'node itself (nothing imported)', target: '', bare: true },
  { label: 'module loaders (first import: kernel/version)', target: WARM_UP, bare: true },
  { label: 'zod', target: 'zod' },
  { label: 'hono', target: 'hono' },
  { label: 'hono/jsx + hono/html', target: 'hono/html', after: ['hono'] },
  { label: '@hono/node-server', target: '@hono/node-server', after: ['hono'] },
  { label: 'fetch (built-in undici, first call)', target: 'fetch' },
  { label: 'Intl.DateTimeFormat with a zone (ICU)', target: 'intl-tz' },
  { label: 'localeCompare (ICU collation)', target: 'collate', after: ['intl-tz'] },
  { label: 'Intl.Segmenter graphemes (ICU)', target: 'graphemes', after: ['intl-tz'] },
  { label: 'bonjour-service', target: 'bonjour-service' },
  { label: 'systeminformation (whole index)', target: 'systeminformation' },
  { label: 'systeminformation (4 lib files, agent/si-node)', target: SI_LIBS },
  { label: 'ollama', target: 'ollama' },
  { label: 'lowdb + lowdb/node', target: 'lowdb/node' },
  { label: 'commander', target: 'commander' },
  { label: 'config schema (agent/config-schema)', target: dist('agent/config-schema.js'), after: ['zod'] },
  { label: 'state schema (agent/state-schema)', target: dist('agent/state-schema.js'), after: ['zod'] },
  { label: 'openapi document (api/openapi)', target: dist('api/openapi.js'), after: THIRD_PARTY },
  { label: 'web UI (web/routes)', target: dist('web/routes.js'), after: THIRD_PARTY },
  { label: 'CLI parser (agent/cli/parse-args)', target: dist('agent/cli/parse-args.js'), after: THIRD_PARTY },
  { label: 'doctor (agent/doctor/doctor)', target: dist('agent/doctor/doctor.js'), after: THIRD_PARTY },
  { label: 'service install (agent/service/service)', target: dist('agent/service/service.js'), after: THIRD_PARTY },
  { label: 'HTTP app (api/app)', target: dist('api/app.js'), after: THIRD_PARTY },
  { label: 'agent composition root (agent/agent)', target: dist('agent/agent.js'), after: THIRD_PARTY },
  { label: 'CLI beyond the agent (agent/cli/run-cli)', target: dist('agent/cli/run-cli.js'), after: [dist('agent/agent.js')] },
  { label: 'TOTAL: what main.js imports, from nothing', target: [dist('agent/agent.js'), dist('agent/cli/run-cli.js')], bare: true },
];

/** Runs in the child: loads `after`, measures, loads `target`, measures; prints one JSON line. */
const CHILD = `
const [after, targets] = JSON.parse(process.argv[1]);
const require = (await import('node:module')).createRequire(process.cwd() + '/');
const actions = ${JSON.stringify(ACTIONS)};
const AsyncFunction = (async () => {}).constructor;
const load = (t) => (t in actions ? new AsyncFunction(actions[t])() : t.startsWith('require:') ? require(t.slice(8)) : import(t));
const measure = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed, t: performance.now() }; };
for (const t of after) await load(t);
const m0 = measure();
const t0 = performance.now();
for (const t of targets) await load(t);
const loadMs = performance.now() - t0;
const m1 = measure();
console.log(JSON.stringify({ rss0: m0.rss, rss: m1.rss - m0.rss, heap: m1.heap - m0.heap, heapTotal: m1.heap, rssTotal: m1.rss, loadMs }));
`;

interface Sample {
  rss0: number;
  rss: number;
  heap: number;
  rssTotal: number;
  heapTotal: number;
  loadMs: number;
}

function runChild(row: Row): Promise<Sample> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...NODE_FLAGS, '--expose-gc', '--input-type=module', '-e', CHILD, JSON.stringify([[...(row.bare ? [] : [WARM_UP]), ...(row.after ?? [])], [row.target].flat().filter(Boolean)])],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${row.label}: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Sample);
      },
    );
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1).padStart(6);

console.log(`bench:modules — cost of each import in a fresh child (node ${[...NODE_FLAGS, '--expose-gc'].join(' ')}), median of ${runs}`);
console.log(`${'module'.padEnd(42)} ${'+RSS MB'.padStart(8)} ${'+heap MB'.padStart(8)} ${'load ms'.padStart(8)} ${'RSS MB'.padStart(7)}  over`);
for (const row of ROWS) {
  const samples: Sample[] = [];
  // One after another: children running side by side would measure each other's CPU contention.
  for (let i = 0; i < runs; i++) samples.push(await runChild(row));
  const rss = row.target === '' ? median(samples.map((s) => s.rss0)) : median(samples.map((s) => s.rss));
  const over = (row.after ?? []).map((a) => (a.startsWith('file:') ? a.slice(a.indexOf('/dist/') + 6) : a)).join(', ');
  console.log(
    `${row.label.padEnd(42)} ${mb(rss).padStart(8)} ${mb(median(samples.map((s) => s.heap))).padStart(8)} ${median(samples.map((s) => s.loadMs)).toFixed(0).padStart(8)} ${mb(median(samples.map((s) => s.rssTotal))).padStart(7)}  ${over || '-'}`,
  );
}
