/**
 * The bench's way to a node's Ollama (issue 15): the routed endpoints' own upstream request
 * (api/proxy/upstream.ts), so a peer is reached through its agent's relay, signed, and its answer
 * counts only when that agent signed it; this node's own Ollama directly.
 */
import { BENCH_HEADER } from '../api/proxy/speed-meter.js';
import type http from 'node:http';
import { TimeoutError, type Clock } from './kernel/clock.js';
import type { BenchPost } from './bench.js';
import { requestUpstream, type RelayCredentials } from '../api/proxy/upstream.js';

export function upstreamBenchPost(deps: { agent: http.Agent; relay: RelayCredentials; clock: Clock }): BenchPost {
  return (target, path, body, timeoutMs) =>
    new Promise((resolve, reject) => {
      // Marked, so the serving node records the answer as a bench figure, not as traffic (speed-meter.ts).
      const headers = ['content-type', 'application/json', BENCH_HEADER, '1'];
      const { request: req, authentic } = requestUpstream(target, { method: 'POST', path, headers, body, agent: deps.agent, relay: deps.relay });
      const cancel = deps.clock.setTimeout(() => req.destroy(new TimeoutError(timeoutMs)), timeoutMs);
      const fail = (err: Error): void => {
        cancel();
        reject(err);
      };
      req.on('error', fail);
      req.on('response', (res) => {
        if (!authentic(res)) {
          res.destroy();
          fail(new Error(`the answer was not signed by ${target.name}'s agent`));
          return;
        }
        let firstByteAtMs: number | null = null;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          firstByteAtMs ??= deps.clock.monotonicMs();
          chunks.push(c);
        });
        res.on('end', () => {
          cancel();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), firstByteAtMs });
        });
        res.on('error', fail);
        // A timeout destroys the request mid-answer; not every Node version says so on `res` with an error.
        res.on('close', () => {
          if (!res.complete) fail(new Error('the answer was cut off'));
        });
      });
      req.end(body);
    });
}
