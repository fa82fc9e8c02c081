import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../agent/kernel/errors.js';
import { DEFAULT_ALLOWED_CIDRS, cidrSchema, createAccessPolicy } from '../../../api/proxy/access.js';

const KEY = 's3cret-key';

describe('access policy: networks (defaults, no key)', () => {
  const policy = createAccessPolicy({ allowedCidrs: DEFAULT_ALLOWED_CIDRS, apiKey: null });

  it.each([
    // loopback
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['::1', true],
    // RFC 1918 edges
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['172.15.255.255', false],
    ['172.16.0.0', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['192.168.0.0', true],
    ['192.168.255.255', true],
    ['192.169.0.0', false],
    // RFC 6598 / Tailscale CGNAT edges
    ['100.63.255.255', false],
    ['100.64.0.0', true],
    ['100.127.255.255', true],
    ['100.128.0.0', false],
    // IPv4-mapped IPv6, as a dual-stack socket reports IPv4 clients
    ['::ffff:192.168.1.5', true],
    ['::FFFF:127.0.0.1', true],
    ['::ffff:c0a8:105', true], // 192.168.1.5 in hex
    ['0:0:0:0:0:ffff:10.1.2.3', true],
    ['::ffff:8.8.8.8', false],
    ['::ffff:172.32.0.0', false],
    // IPv6 ULA, Tailscale
    ['fc00::1', true],
    ['fdff:ffff::1', true],
    ['fd7a:115c:a1e0::1', true],
    ['FD7A:115C:A1E0:AB12:4843:CD96:6258:B240', true],
    ['fe00::1', false],
    ['fbff:ffff::1', false],
    // public
    ['8.8.8.8', false],
    ['192.0.2.7', false],
    ['1.1.1.1', false],
    ['2001:db8::1', false],
    ['2606:4700:4700::1111', false],
    ['::', false],
    ['0.0.0.0', false],
    // not addresses
    ['', false],
    ['localhost', false],
    ['192.168.1.300', false],
  ])('%s → allowed %s', (address, allowed) => {
    const result = policy.check(address, undefined);
    expect(result.ok).toBe(allowed);
    if (!result.ok) {
      expect(result.status).toBe(403);
      expect(result.code).toBe('forbidden_network');
    }
  });

  it('a refusal names the client and says how to let it in', () => {
    expect(policy.check('192.0.2.7', undefined)).toEqual({
      ok: false,
      status: 403,
      code: 'forbidden_network',
      message:
        "192.0.2.7 is not in the allowed networks (proxy.allowedCidrs); add it to the agent's configuration to let this client in",
    });
  });

  it('a refused IPv4-mapped client is named by its IPv4 address', () => {
    const result = policy.check('::ffff:8.8.8.8', undefined);
    expect(!result.ok && result.message).toMatch(/^8\.8\.8\.8 is not in the allowed networks/);
  });

  it('an unknown remote address is refused', () => {
    const result = policy.check(undefined, undefined);
    expect(result).toMatchObject({ ok: false, status: 403, code: 'forbidden_network' });
    expect(!result.ok && result.message).toMatch(/address is unknown/);
  });

  it('a link-local client with a zone is matched without it', () => {
    const withLinkLocal = createAccessPolicy({ allowedCidrs: ['fe80::/10'], apiKey: null });
    expect(withLinkLocal.check('fe80::1%eth0', undefined).ok).toBe(true);
    expect(policy.check('fe80::1%eth0', undefined).ok).toBe(false);
  });
});

describe('access policy: custom networks', () => {
  it.each([
    ['a custom list replaces the defaults (loopback stays)', ['203.0.113.0/24'], [['203.0.113.9', true], ['203.0.114.1', false], ['127.0.0.1', true], ['192.168.1.5', false]]],
    ['a bare IPv4 address is one host', ['192.168.1.5'], [['192.168.1.5', true], ['::ffff:192.168.1.5', true], ['192.168.1.6', false]]],
    ['a bare IPv6 address is one host', ['2001:db8::7'], [['2001:db8::7', true], ['2001:db8:0:0:0:0:0:7', true], ['2001:db8::8', false]]],
    ['/32 and /128 equal bare addresses', ['198.51.100.1/32', '2001:db8::1/128'], [['198.51.100.1', true], ['198.51.100.2', false], ['2001:db8::1', true], ['2001:db8::2', false]]],
    ['host bits in a CIDR are ignored', ['192.168.1.77/24'], [['192.168.1.200', true], ['192.168.2.1', false]]],
    ['/0 lets everyone of that family in', ['0.0.0.0/0'], [['8.8.8.8', true], ['::ffff:8.8.8.8', true], ['2001:db8::1', false]]],
    ['an IPv4-mapped entry matches the IPv4 client', ['::ffff:10.9.0.0/112'], [['10.9.1.2', true], ['::ffff:10.9.1.2', true], ['10.8.1.2', false]]],
    ['an empty list lets only loopback in', [], [['127.0.0.1', true], ['::1', true], ['192.168.1.5', false], ['10.0.0.1', false]]],
  ] as const)('%s', (_name, cidrs, cases) => {
    const policy = createAccessPolicy({ allowedCidrs: cidrs, apiKey: null });
    for (const [address, allowed] of cases) {
      expect(policy.check(address, undefined).ok, address).toBe(allowed);
    }
  });

  it('invalid entries fail fast, every one listed', () => {
    let error: unknown;
    try {
      createAccessPolicy({ allowedCidrs: ['10.0.0.0/8', '10.0.0.0/33', 'lan'], apiKey: null });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['proxy.allowedCidrs.1', 'proxy.allowedCidrs.2']);
  });

  it('an empty API key is refused rather than locking everyone out', () => {
    expect(() => createAccessPolicy({ allowedCidrs: DEFAULT_ALLOWED_CIDRS, apiKey: '' })).toThrow(ConfigError);
  });
});

describe('access policy: API key', () => {
  const policy = createAccessPolicy({ allowedCidrs: DEFAULT_ALLOWED_CIDRS, apiKey: KEY });
  const missing = 'this endpoint needs an API key: send Authorization: Bearer <proxy.apiKey>';
  const wrong = 'the API key is wrong';

  it.each([
    ['the right key', `Bearer ${KEY}`, null],
    ['lower-case scheme', `bearer ${KEY}`, null],
    ['upper-case scheme', `BEARER ${KEY}`, null],
    ['extra spaces', `  Bearer    ${KEY}  `, null],
    ['a tab between scheme and key', `Bearer\t${KEY}`, null],
    ['no header', undefined, missing],
    ['an empty header', '', missing],
    ['scheme without a key', 'Bearer', missing],
    ['scheme and spaces only', 'Bearer   ', missing],
    ['another scheme', `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}`, missing],
    ['the key without a scheme', KEY, missing],
    ['a wrong key', 'Bearer nope', wrong],
    ['a key that is a prefix of the right one', `Bearer ${KEY.slice(0, -1)}`, wrong],
    ['the right key plus more', `Bearer ${KEY}x`, wrong],
    ['the key in the wrong case', `Bearer ${KEY.toUpperCase()}`, wrong],
    ['two tokens', `Bearer ${KEY} ${KEY}`, missing],
  ])('%s', (_name, header, message) => {
    const result = policy.check('192.168.1.5', header);
    if (message === null) {
      expect(result).toEqual({ ok: true });
    } else {
      expect(result).toEqual({ ok: false, status: 403, code: 'forbidden_key', message });
    }
  });

  it('messages never echo what was sent', () => {
    for (const header of ['Bearer hunter2', 'Basic aHVudGVyMg==', 'hunter2']) {
      const result = policy.check('127.0.0.1', header);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).not.toMatch(/hunter2|aHVudGVyMg/);
    }
  });

  it('the network is checked first: a right key does not let a public client in', () => {
    expect(policy.check('8.8.8.8', `Bearer ${KEY}`)).toMatchObject({ ok: false, code: 'forbidden_network' });
  });

  it('without a configured key, any header is ignored', () => {
    const open = createAccessPolicy({ allowedCidrs: DEFAULT_ALLOWED_CIDRS, apiKey: null });
    expect(open.check('10.0.0.1', undefined)).toEqual({ ok: true });
    expect(open.check('10.0.0.1', 'Bearer whatever')).toEqual({ ok: true });
  });
});

describe('cidrSchema', () => {
  it.each([...DEFAULT_ALLOWED_CIDRS, '192.168.1.5', '192.168.1.0/24', '0.0.0.0/0', '::/0', '2001:db8::1', 'fd7a:115c:a1e0::/48', '::ffff:10.0.0.0/104', 'FE80::/10', '::ffff:7f00:1', '1:2:3:4:5:6:7:8', '::1.2.3.4'])(
    'accepts %s',
    (value) => {
      expect(cidrSchema.parse(value)).toBe(value);
    },
  );

  it.each([
    '',
    'lan',
    'localhost',
    '192.168.1.0/33',
    '::/129',
    '192.168.1.0/',
    '192.168.1.0/-1',
    '192.168.1.0/+8',
    '192.168.1.0/2 4',
    '192.168.1.0/24/8',
    '192.168.1.0/0x18',
    '192.168.1.256',
    '192.168.1',
    '010.0.0.1',
    ' 10.0.0.1',
    '10.0.0.1 ',
    'fe80::1%eth0',
    'fe80::1%eth0/64',
    '2001:db8:::1/64',
    '[::1]',
    '::1 ',
    ' ::1',
    '1::2::3',
    'gggg::1',
    '12345::1',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:1.2.3.256',
    '/24',
  ])('rejects %j with a clear message', (value) => {
    const result = cidrSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be an address or CIDR such as 192.168.1.0/24');
  });

  it('rejects a non-string', () => {
    expect(cidrSchema.safeParse(24).success).toBe(false);
  });
});

describe('access policy: loopback and the network-only check (issue 11)', () => {
  it('loopback is allowed even when allowedCidrs leaves it out', () => {
    const policy = createAccessPolicy({ allowedCidrs: ['192.168.1.0/24'], apiKey: null });
    expect(policy.check('127.0.0.1', undefined).ok).toBe(true);
    expect(policy.check('::1', undefined).ok).toBe(true);
    expect(policy.check('::ffff:127.0.0.2', undefined).ok).toBe(true);
    expect(policy.check('192.168.2.1', undefined).ok).toBe(false);
  });

  it('checkNetwork ignores proxy.apiKey (browsers cannot send it); check still asks for it', () => {
    const policy = createAccessPolicy({ allowedCidrs: ['192.168.1.0/24'], apiKey: KEY });
    expect(policy.checkNetwork('192.168.1.7')).toEqual({ ok: true });
    expect(policy.check('192.168.1.7', undefined)).toMatchObject({ ok: false, code: 'forbidden_key' });
    expect(policy.checkNetwork('198.51.100.7')).toMatchObject({ ok: false, status: 403, code: 'forbidden_network' });
    expect(policy.checkNetwork(undefined)).toMatchObject({ ok: false, code: 'forbidden_network' });
  });
});
