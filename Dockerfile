# The Airlock service image: API, workers and the image builder share it.

# The in-container supervisor: a static Go binary, built here so the service image needs no Go.
FROM golang:1.26-bookworm AS supervisor
WORKDIR /src
COPY images/supervisor/ ./
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o /airlock-supervisor .

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends debootstrap ca-certificates tar \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/airlock
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
RUN npm ci --no-audit --no-fund
COPY . .
COPY --from=supervisor /airlock-supervisor dist/supervisor/airlock-supervisor
RUN npm run build && npm prune --omit=dev
ENV NODE_ENV=production
CMD ["node", "dist/api/server.js"]
