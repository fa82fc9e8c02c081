/**
 * An access policy that lets every client in, for in-process tests (`app.request()` has no socket,
 * so the real policy would refuse its unknown address). Access itself is tested with the real
 * policy in test/unit/api/client-access.test.ts and over sockets in test/integration/hardening.test.ts.
 */
import type { AccessPolicy } from '../../api/proxy/access.js';

export const allowAll: AccessPolicy = { check: () => ({ ok: true }), checkNetwork: () => ({ ok: true }) };
