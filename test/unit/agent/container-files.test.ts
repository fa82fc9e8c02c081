/**
 * The Dockerfile and docs/compose.hub.yml cannot be built or started here (no Docker engine), so the
 * settings that make them work are checked as text: host networking for the agent (mDNS does not
 * cross Docker's bridge NAT), the agent's port, and the client URLs — Immich's ML URL WITH its
 * trailing slash (PROTOCOLS.md §2.5), Open WebUI's OLLAMA_BASE_URL on the routed /ollama endpoint.
 */
import { AGENT_NODE_FLAGS } from '../../../agent/service/templates.js';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFile(new URL(`../../../${path}`, import.meta.url), 'utf8');

/** The lines of one top-level service in the compose file (up to the next service at the same indent). */
function service(yaml: string, name: string): string {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l === `  ${name}:`);
  if (start === -1) throw new Error(`no service ${name}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^ {2}[A-Za-z0-9_-]+:/.test(l) || /^\S/.test(l));
  // Comments are explanations, not settings.
  return rest
    .slice(0, end === -1 ? undefined : end)
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
}

describe('Dockerfile', () => {
  it('builds in one stage and runs the built JavaScript with production dependencies in another', async () => {
    const df = await read('Dockerfile');
    const stages = [...df.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => [m[1], m[2]]);
    expect(stages).toEqual([
      ['node:20-bookworm-slim', 'build'],
      ['node:20-bookworm-slim', 'runtime'],
    ]);
    const [build = '', runtime = ''] = df.split(/^FROM .*$/m).slice(1);
    expect(build).toMatch(/^RUN npm ci\b/m);
    expect(build).toMatch(/^RUN npm run build$/m);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev\b/m);
    for (const copied of ['COPY --from=build /app/dist ./dist', 'COPY bin ./bin', 'COPY package.json package-lock.json ./', 'agent.config.json']) {
      expect(runtime).toContain(copied);
    }
  });

  it('runs as node with /data as its data volume, port 7650, a health check and the start command', async () => {
    const df = await read('Dockerfile');
    expect(df).toMatch(/^USER node$/m);
    expect(df).toMatch(/INFERENCE_MESH_DATA_DIR=\/data\b/);
    expect(df).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(df).toMatch(/^EXPOSE 7650$/m);
    expect(df).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "-e", "fetch\([^\n]*\/api\/v1\/health/m);
    // The agent's V8 flags (agent/service/templates.ts), as npm start and the service units pass them.
    expect(df).toContain(`ENTRYPOINT ${JSON.stringify(['node', ...AGENT_NODE_FLAGS, 'bin/inference-mesh.js']).replaceAll(',', ', ')}`);
    expect(df).toMatch(/^CMD \["start", "--config", "\/config\/agent\.config\.json"\]$/m);
    expect(df).toMatch(/host network/i);
    expect(df).toContain('nvidia-smi');
  });

  it('copies only what exists in the build context (.dockerignore keeps secrets and node_modules out)', async () => {
    const ignore = (await read('.dockerignore')).split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', '**/mesh.key', '**/admin.token', '**/state.json']) expect(ignore).toContain(entry);
    const df = await read('Dockerfile');
    const copied = [...df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(' '));
    for (const path of copied) expect(ignore, `${path} is copied but ignored`).not.toContain(path);
  });
});

describe('docs/compose.hub.yml', () => {
  it('runs the agent with host networking, its config and a data volume', async () => {
    const agent = service(await read('docs/compose.hub.yml'), 'inference-mesh');
    expect(agent).toMatch(/^\s+network_mode: host$/m);
    expect(agent).not.toMatch(/^\s+ports:/m); // meaningless with host networking
    expect(agent).toMatch(/INFERENCE_MESH_PORT: "7650"/);
    expect(agent).toMatch(/INFERENCE_MESH_DATA_DIR: \/data$/m);
    expect(agent).toMatch(/:\/config\/agent\.config\.json(:ro)?$/m);
    expect(agent).toMatch(/- inference-mesh-data:\/data$/m);
  });

  it("points Immich's ML URL at the agent's /immich-ml/ WITH the trailing slash, through the host", async () => {
    const yaml = await read('docs/compose.hub.yml');
    const immich = service(yaml, 'immich-server');
    const url = /IMMICH_MACHINE_LEARNING_URL: (\S+)$/m.exec(immich)?.[1];
    expect(url).toMatch(/^http:\/\/[^/]+:7650\/immich-ml\/$/);
    // From a bridge container, 127.0.0.1 is the container itself: the host must be named.
    expect(url).not.toContain('127.0.0.1');
    if (url?.includes('host.docker.internal')) expect(immich).toContain('host.docker.internal:host-gateway');
    expect(yaml).toContain('Administration → Settings → Machine Learning');
  });

  it("points Open WebUI at the agent's /ollama endpoint", async () => {
    const webui = service(await read('docs/compose.hub.yml'), 'open-webui');
    const url = /OLLAMA_BASE_URL: (\S+)$/m.exec(webui)?.[1];
    expect(url).toMatch(/^http:\/\/[^/]+:7650\/ollama$/);
    if (url?.includes('host.docker.internal')) expect(webui).toContain('"host.docker.internal:host-gateway"');
  });

  it("lets the agent on the host network reach the hub's own Ollama and Immich ML", async () => {
    const yaml = await read('docs/compose.hub.yml');
    const agent = service(yaml, 'inference-mesh');
    expect(agent).toMatch(/OLLAMA_HOST: http:\/\/127\.0\.0\.1:11434$/m);
    expect(agent).toMatch(/IMMICH_MACHINE_LEARNING_URL: http:\/\/127\.0\.0\.1:3003$/m);
    expect(service(yaml, 'ollama')).toContain('"127.0.0.1:11434:11434"');
    expect(service(yaml, 'immich-machine-learning')).toContain('"127.0.0.1:3003:3003"');
  });

  it('is plain YAML without tabs', async () => {
    expect(await read('docs/compose.hub.yml')).not.toMatch(/\t/);
  });
});
