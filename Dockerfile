# Two stages: the build stage has the compilers (better-sqlite3 is a native addon) and
# compiles the engine into dist/; the runtime image has neither compilers nor tests nor
# benches, and runs as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild better-sqlite3
COPY bin ./bin
COPY engine ./engine
COPY ml ./ml
COPY operators ./operators
COPY workers ./workers
COPY dags ./dags
COPY scripts/build.mjs ./scripts/build.mjs
COPY tsconfig.json ./
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production UPDRAFT_HOME=/var/lib/updraft
RUN mkdir -p /var/lib/updraft && chown node:node /var/lib/updraft
COPY --from=build /app /app
USER node
ENTRYPOINT ["node", "bin/updraft.mjs"]
