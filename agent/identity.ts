import { randomBytes } from 'node:crypto';
import { STATE_VERSION, stateSchema, type AgentState } from './state-schema.js';

/** A fresh state with a new random node id: 128 bits, so two machines never collide. */
export function freshState(nowMs: number): AgentState {
  return stateSchema.parse({ version: STATE_VERSION, identity: { nodeId: randomBytes(16).toString('hex'), createdAtMs: nowMs } });
}

/** The first 8 hex digits: enough to tell nodes apart in names and logs. */
export function shortNodeId(nodeId: string): string {
  return nodeId.slice(0, 8);
}
