#!/usr/bin/env bash
# Smoke test of the app image (docs/development.md, "The app"): builds it, then runs the api and the
# worker against a PostgreSQL container on a private Docker network; only the api port is published,
# on 127.0.0.1. Checks: /readyz 503 while migrations are pending, `migrate up`, both containers
# healthy, the page, a second ingest with no changes, non-root, no password in logs, clean SIGTERM.
#   app/smoke-image.sh   (NODE_IMAGE=..., PG_IMAGE=... to override; defaults from images/local-images.json)
set -euo pipefail
cd "$(dirname "$0")/.."
local_image() { node -e "try{const j=require('./images/local-images.json');console.log(j['$1']||'')}catch{}" ; }
NODE_IMAGE=${NODE_IMAGE:-$(local_image node)}
NODE_IMAGE=${NODE_IMAGE:-node:20-bookworm-slim}
PG_IMAGE=${PG_IMAGE:-$(local_image postgres)}
PG_IMAGE=${PG_IMAGE:-postgres:16-alpine}
IMG=confradar-app:smoke
echo "building $IMG on $NODE_IMAGE"
docker build -q -f app/Dockerfile --build-arg NODE_IMAGE="$NODE_IMAGE" -t $IMG . >/dev/null || { echo "FAIL image build"; exit 1; }
set +e
N=cr-apptest-$$
PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
URL="postgres://postgres:$PW@$N-pg:5432/confradar"
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
cleanup() { docker rm -f -v $N-api $N-worker $N-pg >/dev/null 2>&1; docker network rm $N >/dev/null 2>&1; }
trap cleanup EXIT
TMPDIR_PAGE=$(mktemp)
health() { docker inspect -f '{{.State.Health.Status}}' "$1"; }
docker network create $N >/dev/null
docker run -d --name $N-pg --network $N -e POSTGRES_PASSWORD=$PW -e POSTGRES_DB=confradar "$PG_IMAGE" >/dev/null
for i in $(seq 1 60); do docker exec $N-pg pg_isready -h 127.0.0.1 -U postgres -d confradar >/dev/null 2>&1 && break; sleep 1; done
echo "postgres ready after ${i}s"
docker run -d --name $N-api --network $N -p 127.0.0.1::3000 -e DATABASE_URL=$URL -e DB_STARTUP_TIMEOUT_MS=60000 $IMG >/dev/null
PORT=$(docker port $N-api 3000/tcp | head -1 | sed 's/.*://')
sleep 4
echo "api before migrations: readyz=$(curl -s 127.0.0.1:$PORT/readyz)"
check "readyz is 503 while migrations are pending" '[ "$(curl -s -o /dev/null -w "%{http_code}" 127.0.0.1:$PORT/readyz)" = 503 ]'
echo "healthcheck (api) before migrations: $(docker exec $N-api node dist/app/src/healthcheck.js api 2>&1; echo "exit=$?")"
echo "--- migrate up"; docker run --rm --network $N -e DATABASE_URL=$URL $IMG migrate up 2>&1 | tail -3
echo "--- migrate status --json"; docker run --rm --network $N -e DATABASE_URL=$URL $IMG migrate status --json 2>/dev/null
docker run -d --name $N-worker --network $N -e DATABASE_URL=$URL -e INGEST_INTERVAL_SECONDS=3600 $IMG worker >/dev/null
for i in $(seq 1 90); do [ "$(health $N-api)" = healthy ] && [ "$(health $N-worker)" = healthy ] && break; sleep 1; done
echo "after ${i}s: api=$(health $N-api) worker=$(health $N-worker)"
check "api healthy" '[ "$(health $N-api)" = healthy ]'
check "worker healthy" '[ "$(health $N-worker)" = healthy ]'
echo "readyz: $(curl -s 127.0.0.1:$PORT/readyz)"
echo "page: $(curl -s -o "$TMPDIR_PAGE" -w '%{http_code} %{size_download}' 127.0.0.1:$PORT/)"
check "page lists the dataset" 'grep -q "NeurIPS" "$TMPDIR_PAGE"'
SCRIPT_PATH=$(grep -o '/assets/page-[0-9a-f]*\.js' "$TMPDIR_PAGE" | head -n 1)
echo "page script: ${SCRIPT_PATH:-none}"
check "the page's script ships in the image and is served" '[ -n "$SCRIPT_PATH" ] && [ "$(curl -s -o /dev/null -w "%{http_code}" "127.0.0.1:$PORT$SCRIPT_PATH")" = 200 ]'
echo "--- ingest (manual, second run)"
SECOND_INGEST=$(docker run --rm --network $N -e DATABASE_URL=$URL $IMG ingest 2>&1); echo "ingest exit=$?"
echo "$SECOND_INGEST" | grep -o '"msg":"ingest finished[^"]*"'
check "a second ingest changes nothing" 'echo "$SECOND_INGEST" | grep -q "ingest finished: no changes"'
echo "runs: $(curl -s '127.0.0.1:'$PORT'/api/ingest-runs' | head -c 400)"
echo "user in container: $(docker exec $N-api id)"
check "the app runs as a non-root user" '[ "$(docker exec $N-api id -u)" != 0 ]'
echo "password in logs: $(docker logs $N-api 2>&1 | grep -c "$PW") $(docker logs $N-worker 2>&1 | grep -c "$PW")"
echo "store line: $(docker logs $N-api 2>&1 | grep -o '"msg":"store: [^"]*"')"
echo "--- docker stop (SIGTERM)"
docker stop -t 20 $N-api $N-worker >/dev/null
echo "api exit=$(docker inspect -f '{{.State.ExitCode}}' $N-api) worker exit=$(docker inspect -f '{{.State.ExitCode}}' $N-worker)"
check "api stopped cleanly" '[ "$(docker inspect -f "{{.State.ExitCode}}" $N-api)" = 0 ]'
check "worker stopped cleanly" '[ "$(docker inspect -f "{{.State.ExitCode}}" $N-worker)" = 0 ]'
check "no password in logs" '! docker logs $N-api 2>&1 | grep -q "$PW" && ! docker logs $N-worker 2>&1 | grep -q "$PW"'
exit $fail
