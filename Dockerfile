# syntax=docker/dockerfile:1
# Build stage: all dependencies, compile, then drop dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, compiled code, migrations and content; non-root.
FROM node:24-bookworm-slim AS runtime
# The heap sized for the Deployment's 768 MiB limit: a bounded old generation, and young-generation semi-spaces
# Node 24 would otherwise size by the host's memory.
ENV NODE_ENV=production \
    PORT=3000 \
    NODE_OPTIONS="--max-old-space-size=384 --max-semi-space-size=16"
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node drizzle ./drizzle
COPY --chown=node:node content ./content
# Writable only for the embedded PGlite (production needs ALLOW_EMBEDDED_DATABASE=true for it: one process, one
# database); deployments set DATABASE_URL=postgres://… (and REDIS_URL for several replicas).
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
