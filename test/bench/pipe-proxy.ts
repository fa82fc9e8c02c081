/**
 * The "node pipe" of bench:proxy (issue 14): the least any Node proxy can cost. Pipes each request
 * and its answer to one backend over a keep-alive pool, nothing else (no routing, no checks).
 *
 *   node --import tsx test/bench/pipe-proxy.ts BACKEND_PORT   → prints its URL, serves until SIGTERM
 */
import http from 'node:http';

const backendPort = Number(process.argv[2]);
if (!Number.isInteger(backendPort) || backendPort < 1) throw new Error(`usage: pipe-proxy.ts BACKEND_PORT (got ${process.argv[2] ?? 'nothing'})`);
const pool = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const up = http.request({ host: '127.0.0.1', port: backendPort, path: req.url, method: req.method, headers: req.headers, agent: pool }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  up.once('error', () => res.destroy());
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as { port: number }).port}\n`));
process.once('SIGTERM', () => process.exit(0));
