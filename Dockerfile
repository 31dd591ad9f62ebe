FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
COPY services ./services
COPY tsconfig.json tsconfig.base.json ./
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev
USER node
