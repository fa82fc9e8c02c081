/**
 * The "node pipe" of bench:proxy (issue 14): the least any Node proxy can cost. Pipes each request
 * and its answer to one backend over a keep-alive pool, nothing else (no routing, no checks).
 *
 *   node --import tsx test/bench/pipe-proxy.ts BACKEND_PORT [BACKEND_HOST [LISTEN_HOST LISTEN_PORT]]
 *     → prints its URL, serves until SIGTERM. Hosts default to 127.0.0.1, the listen port to a free
 *     one; bench:relay chains two across its lab hosts (the floor of any two-hop Node relay).
 */
import http from 'node:http';

const backendPort = Number(process.argv[2]);
if (!Number.isInteger(backendPort) || backendPort < 1) throw new Error(`usage: pipe-proxy.ts BACKEND_PORT (got ${process.argv[2] ?? 'nothing'})`);
const backendHost = process.argv[3] ?? '127.0.0.1';
const listenHost = process.argv[4] ?? '127.0.0.1';
const listenPort = Number(process.argv[5] ?? 0);
const pool = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const up = http.request({ host: backendHost, port: backendPort, path: req.url, method: req.method, headers: req.headers, agent: pool }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  up.once('error', () => res.destroy());
  req.pipe(up);
});
server.listen(listenPort, listenHost, () => process.stdout.write(`http://${listenHost}:${(server.address() as { port: number }).port}\n`));
process.once('SIGTERM', () => process.exit(0));
