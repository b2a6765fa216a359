# syntax=docker/dockerfile:1
# crefgate runtime image. Build:  docker build -t crefgate .
# Holds code only: no key, certificate, config or state is baked in. Mount the config (read-only) at
# /etc/crefgate and a writable volume at /var/lib/crefgate (audit log, keys from secrets), and run with a
# read-only root filesystem: the process writes nowhere else.

# ---- dependencies: production packages only, no dev tools, no install scripts
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Optional deps include a second Node binary for source checkouts; the image already has Node 24.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime: node + production node_modules + sources (Node 24 runs the .ts files directly)
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    CREFGATE_LOG_LEVEL=info
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root src ./src
COPY --chown=root:root adapters ./adapters
# The code belongs to root and is read-only for the process, which runs as the unprivileged `node` user (uid 1000).
USER node
# 8443: the mTLS API. 9464: the plain-HTTP ops listener (metrics, probes): set ops.host to 0.0.0.0 in the
# config to reach it from outside the container, and keep it on a private network.
EXPOSE 8443 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/v1/sys/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM starts the graceful drain (readiness 503, in-flight requests finish, audit flushed), then exit 0.
STOPSIGNAL SIGTERM
# The gateway Node flags: src/runtime_flags.ts says why.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "src/cli.ts"]
CMD ["serve", "--config", "/etc/crefgate/config.yaml"]
