# inference-mesh agent in a container — meant for the always-on Linux hub (beside Immich, Ollama and
# Open WebUI, see docs/compose.hub.yml). On a gaming PC or workstation, install the agent on the host
# instead (npm / `inference-mesh service install`): it has to see the host's processes (games) and GPU.
#
#   docker build -t inference-mesh .
#   docker run -d --name inference-mesh --network host \
#     -v "$PWD/agent.config.json:/config/agent.config.json:ro" -v inference-mesh-data:/data inference-mesh
#
# Run it with HOST NETWORKING (`--network host`, `network_mode: host`): mDNS discovery is multicast to
# 224.0.0.251:5353, which does not cross Docker's bridge NAT, and on a bridge network the agent would
# announce the container's 172.x address, which peers cannot reach. Peers also need to reach port 7650
# on the host's LAN address, and Wake-on-LAN broadcasts need the LAN too.
#
# GPU figures: the hardware probe reads NVIDIA GPUs with `nvidia-smi` and AMD/Intel GPUs from sysfs. This
# image has no nvidia-smi; add the NVIDIA Container Toolkit (`--gpus all`, which mounts nvidia-smi into
# the container) only if you want GPU figures from a container. A hub usually has no GPU worth offering,
# and a GPU machine usually runs the agent on the host, not in Docker.

# ---- build: compile the TypeScript to dist/ and bundle the agent (scripts/bundle.mjs) ----------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY agent ./agent
COPY api ./api
COPY discovery ./discovery
COPY scheduler ./scheduler
COPY web ./web
RUN npm run build

# ---- runtime: built JavaScript and production dependencies only --------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    INFERENCE_MESH_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no lifecycle script is needed at runtime (prepack builds, and dist/ is copied in).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# bin/inference-mesh.js runs dist/agent/main.cjs when the TypeScript sources are absent, as here.
COPY bin ./bin
# The example hub configuration; mount your own at /config/agent.config.json.
COPY agent.config.json ./agent.config.json
COPY agent.config.json /config/agent.config.json

# State: state.json (node id), mesh.key, admin.token (both mode 0600) and the lock. Keep it on a
# volume so the node id, the mesh membership and the admin credential survive a new container.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

USER node
# API, web UI, routed endpoints (/ollama, /immich-ml/) and the peer protocol. With host networking
# EXPOSE is documentation only: the agent listens on the host's port 7650 directly.
EXPOSE 7650

# /api/v1/health answers {"status":"ok"}; loopback is always an allowed client. Follows a changed
# port through INFERENCE_MESH_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.INFERENCE_MESH_PORT || 7650) + '/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The same V8 flags as `npm start` and the service units (agent/service/templates.ts AGENT_NODE_FLAGS).
ENTRYPOINT ["node", "--max-semi-space-size=4", "--max-old-space-size=128", "--v8-pool-size=1", "bin/inference-mesh.js"]
CMD ["start", "--config", "/config/agent.config.json"]
