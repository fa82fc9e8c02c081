/** Every doctor check, in the order they are printed: local setup first, then the outside world. */
import type { DoctorCheck } from '../types.js';
import { checkAgentPort } from './agent-port.js';
import { checkClock } from './clock.js';
import { checkImmichKey } from './immich-key.js';
import { checkMdnsFirewall } from './mdns-firewall.js';
import { checkMulticastRoute } from './multicast-route.js';
import { checkOllamaReachable } from './ollama-reachable.js';
import { checkTailscale } from './tailscale.js';
import { checkWslNat } from './wsl-nat.js';

export const ALL_CHECKS: readonly { id: string; title: string; run: DoctorCheck }[] = [
  { id: 'agent-port', title: 'Agent port', run: checkAgentPort },
  { id: 'ollama-reachable', title: 'Ollama reachable only through the agent', run: checkOllamaReachable },
  { id: 'multicast-route', title: 'Multicast route (mDNS)', run: checkMulticastRoute },
  { id: 'mdns-firewall', title: 'Firewall and mDNS (UDP 5353)', run: checkMdnsFirewall },
  { id: 'wsl-nat', title: 'WSL2 networking', run: checkWslNat },
  { id: 'tailscale', title: 'Tailscale', run: checkTailscale },
  { id: 'immich-key', title: 'Immich API key', run: checkImmichKey },
  { id: 'clock', title: 'Clock', run: checkClock },
];
