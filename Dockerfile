# syntax=docker/dockerfile:1
# Scopegate on Node 22 LTS. The build stage installs exactly package-lock.json and compiles; the
# runtime stage keeps dist/ and the production dependencies only and runs as the non-root `node` user.
# The same image runs the gateway: node packages/gateway/dist/main.js --config /config/gateway.yaml
# (the HEALTHCHECK below is the server's; the gateway's service overrides it, see docker-compose.yml).
#
# Migrations run at start-up (MIGRATIONS_RUN=true). Without starting the server, from the compiled code:
#   docker compose run --rm app npm run migration:run:prod
#   docker compose run --rm app npm run seed:prod      # demo catalog, customers and clients (idempotent)
# Without DATABASE_URL the embedded PostgreSQL lives in /app/.data (mount a volume there to keep it;
# one process at a time, so stop the server before running either command against it).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The npm workspaces: @scopegate/nest (built by its prepare script during npm ci), @scopegate/gateway and
# the example API.
COPY packages ./packages
COPY examples ./examples
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/.data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# node_modules/@scopegate/nest links here: Scopegate's own routes use the package.
COPY --from=build /app/packages/nest/package.json ./packages/nest/package.json
COPY --from=build /app/packages/nest/dist ./packages/nest/dist
# The gateway (docker compose service `gateway`: node packages/gateway/dist/main.js --config FILE); its
# dependencies are in node_modules, node_modules/@scopegate/gateway links here.
COPY --from=build /app/packages/gateway/package.json ./packages/gateway/package.json
COPY --from=build /app/packages/gateway/dist ./packages/gateway/dist
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
