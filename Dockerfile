# The Airlock service image: API, workers and the image builder share it.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends debootstrap ca-certificates tar \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/airlock
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
ENV NODE_ENV=production
CMD ["node", "dist/api/server.js"]
