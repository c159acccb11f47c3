# mmbot as a container: the bot service, `mmbot start` (see docs/production.md).
#   docker build -t mmbot .                    (podman: add --format docker, else HEALTHCHECK is dropped)
#   docker run -e MATTERMOST_URL=… -e MATTERMOST_BOT_TOKEN=… -v mmbot-data:/srv/mmbot/data mmbot
# Where registry images cannot be pulled, make a base with scripts/container-base.sh and build
# with --build-arg BASE=mmbot-base:local.
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
# better-sqlite3 is a native addon: compiled here when no prebuilt binary can be fetched
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
# one layer per lockfile: every dependency (for tsc), and a pruned copy for the runtime without
# what only a build needs: better-sqlite3's sources and objects (its addon is kept), and
# typescript, which stays through the prune as @mattermost/types' optional peer (types only).
# The service uses pg and prom-client, the library's optional peers (dev dependencies here): the
# pruned copy's package.json makes them dependencies so the prune keeps them.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && mkdir /prod && cp -a package.json package-lock.json node_modules /prod/ \
 && cd /prod \
 && node -e "const p = require('./package.json'); for (const n in p.peerDependencies) { p.dependencies[n] = p.peerDependencies[n]; delete p.devDependencies[n]; } require('fs').writeFileSync('package.json', JSON.stringify(p, null, 2))" \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node . && rm -rf build deps src \
 && mkdir -p build/Release && mv better_sqlite3.node build/Release/ \
 && cd /prod/node_modules && rm -rf typescript .bin/tsc .bin/tsserver
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build && chmod 755 dist/service/cli/main.js

FROM ${BASE}
ENV NODE_ENV=production \
    # [http] on by default: integrations reach the bot here, and the health check asks /healthz
    MMBOT_HTTP_LISTEN=0.0.0.0:8080
RUN useradd --system --uid 10001 --user-group --home-dir /srv/mmbot --shell /usr/sbin/nologin mmbot \
 && mkdir -p /srv/mmbot/data \
 && chown -R mmbot:mmbot /srv/mmbot \
 && ln -s /opt/mmbot/dist/service/cli/main.js /usr/local/bin/mmbot
COPY --from=build /prod/package.json /opt/mmbot/
COPY --from=build /prod/node_modules /opt/mmbot/node_modules
COPY --from=build /build/dist /opt/mmbot/dist
USER mmbot
# mmbot.toml (optional) and data/ (the SQLite store) are read relative to here
WORKDIR /srv/mmbot
VOLUME /srv/mmbot/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/opt/mmbot/dist/service/healthcheck.js"]
ENTRYPOINT ["node", "/opt/mmbot/dist/service/cli/main.js"]
CMD ["start"]
