# syntax=docker/dockerfile:1
# tabmesh: signaling + registry server and the hub, in one small image.
#   docker build -t tabmesh .
#   docker run -p 8787:8787 -v tabmesh-data:/data tabmesh
# The same image runs a headless node: docker run tabmesh node bin/tabmesh.js node --url … --key …
# test/deploy/production-install.test.ts replays the runtime stage (no Docker engine in CI).

# ---- build: full dependencies, compile TypeScript (dist/) and the hub (web/dist/) ----
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are here. Native parts (node-datachannel,
# esbuild, rolldown) arrive as prebuilt optional dependencies and need no install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# ---- runtime: production dependencies only, non-root ----
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    TABMESH_DATA_DIR=/data \
    PORT=8787 \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
# --legacy-peer-deps: npm otherwise installs TypeScript (~30 MB) as valibot's optional peer even
# with --omit=dev (it is flagged devOptional). Every real peer is a direct dependency anyway.
RUN npm ci --omit=dev --legacy-peer-deps --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/protocol ./dist/protocol
COPY --from=build /app/dist/server ./dist/server
COPY --from=build /app/dist/headless-node ./dist/headless-node
COPY --from=build /app/dist/web ./dist/web
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/deploy/healthcheck.mjs ./deploy/healthcheck.mjs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
# SIGTERM drains sockets (close 1001) and exits within TABMESH_SHUTDOWN_TIMEOUT_MS (8 s):
# give containers a stop grace period of at least 10 s.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/main.node.js"]
