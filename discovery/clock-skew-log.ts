/**
 * A peer client that names clock skew in the log (discovery/clock-skew.ts). Its own file, as
 * peer-client.ts imports clock-skew.ts.
 */
import type { Logger } from '../agent/kernel/log.js';
import { formatClockOffset } from './clock-skew.js';
import { PeerCallError, type PeerClient } from './peer-client.js';

/**
 * The same client, logging once per address when a peer refuses us for its clock: the candidate
 * verifier would otherwise report a new peer with a wrong clock only at debug level, and the
 * health checks only in the registry.
 */
export function loggingClockSkew(client: PeerClient, log: Logger): PeerClient {
  const note = async <T>(call: Promise<T>, url: string): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      if (err instanceof PeerCallError && err.clockOffsetMs !== null) {
        log.once(`clock-skew:${url}`, 'warn', `the agent at ${url} refuses this agent's requests: ${formatClockOffset(err.clockOffsetMs)}`, {
          fix: 'enable NTP on both machines (timedatectl set-ntp true)',
        });
      }
      throw err;
    }
  };
  return {
    ping: (url, o) => note(client.ping(url, o), url),
    fetchAdvert: (url, o) => note(client.fetchAdvert(url, o), url),
    settings: (url, nodeId, change) => note(client.settings(url, nodeId, change), url),
  };
}
