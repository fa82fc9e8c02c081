/**
 * `OLLAMA_HOST` parsed exactly as Ollama does (envconfig.Host() in ollama/ollama, table-tested in
 * envconfig/config_test.go; PROTOCOLS.md §1.1), then made connectable the way its CLI client does
 * (ConnectableHost: 0.0.0.0 / :: / an empty host become loopback), because we *connect* to it.
 *
 *   ""                         → http://127.0.0.1:11434
 *   "1.2.3.4"                  → http://1.2.3.4:11434
 *   ":1234"                    → http://127.0.0.1:1234
 *   "http://1.2.3.4"           → http://1.2.3.4:80     (explicit scheme without port: 80 / 443)
 *   "https://example.com/ollama" → https://example.com:443/ollama
 *   ":66000"                   → http://127.0.0.1:11434 (invalid port: the default)
 */
export function parseOllamaHost(raw: string | undefined): string {
  // envconfig.Var strips surrounding spaces and quotes.
  const s = (raw ?? '').trim().replace(/^["']+|["']+$/g, '').trim();
  let scheme = 'http';
  let defaultPort = '11434';
  let hostport = s;
  const sep = s.indexOf('://');
  if (sep === -1) {
    if (s === 'ollama.com') {
      scheme = 'https';
      hostport = 'ollama.com:443';
    }
  } else {
    scheme = s.slice(0, sep);
    hostport = s.slice(sep + 3);
    if (scheme === 'http') defaultPort = '80';
    else if (scheme === 'https') defaultPort = '443';
  }
  const slash = hostport.indexOf('/');
  const path = slash === -1 ? '' : hostport.slice(slash + 1);
  if (slash !== -1) hostport = hostport.slice(0, slash);

  let [host, port] = splitHostPort(hostport) ?? [undefined, undefined];
  if (host === undefined || port === undefined) {
    host = hostport.replace(/^\[|\]$/g, '') || '127.0.0.1';
    port = defaultPort;
  }
  const n = /^[+-]?\d+$/.test(port) ? Number(port) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) port = defaultPort;

  // ConnectableHost: an unspecified bind address is reached over loopback.
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::' || host === '[::]') host = '::1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${hostPart}:${port}${path ? `/${path}` : ''}`;
}

/** Go's net.SplitHostPort: "h:p", "[v6]:p", ":p"; undefined when there is no port. */
function splitHostPort(hostport: string): [string, string] | undefined {
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end === -1 || hostport[end + 1] !== ':') return undefined;
    return [hostport.slice(1, end), hostport.slice(end + 2)];
  }
  const colon = hostport.lastIndexOf(':');
  if (colon === -1 || hostport.indexOf(':') !== colon) return undefined;
  return [hostport.slice(0, colon), hostport.slice(colon + 1)];
}
