#!/usr/bin/env bash
# Builds the Sift image and checks it the way users run it, with plain `docker` commands (a real
# Docker engine, or ../shared/tools/docker's buildah/podman stand-in):
#   image size on top of the base ≤ 100 MB; natural's stemmers and onnxruntime load after pruning;
#   `docker run -p` serves GET /index (HTML) and POST /predict (form and JSON) as the non-root user;
#   the HEALTHCHECK turns healthy; `docker stop` exits 0 in < 10 s; `serve` (SageMaker) answers
#   /ping and /invocations; a --read-only, -m 256m, no-capabilities container serves predictions
#   and, sent the documented maxima at once, answers or refuses (413/503) without an OOM kill;
#   scripts/ec2-user-data.sh's sift-up starts the image as on EC2 (2 cluster workers);
#   PREDICTION_LOG=on (node:sqlite on a worker thread) in a --read-only container with a named volume
#   on /app/data: predict → feedback → /feedback.csv and the monitor show it, and it survives the
#   container being replaced; with /app/data not writable the log says so and predictions go on.
# Every step prints what it checked and measured (build time, size, start-to-ready, stop time).
# Usage: bash scripts/docker-smoke.sh        (from anywhere; needs docker, curl and node)
# Environment: SIFT_IMAGE (tag to build, default sift:smoke), SIFT_SMOKE_SKIP_BUILD=1 (test an
#   existing SIFT_IMAGE), SIFT_BASE_IMAGE (default: the Dockerfile's NODE_IMAGE), SIFT_MAX_ADDED_MB.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${SIFT_IMAGE:-sift:smoke}
BASE_IMAGE=${SIFT_BASE_IMAGE:-$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile | head -n 1)}
MAX_ADDED_MB=${SIFT_MAX_ADDED_MB:-100}
MAX_STOP_SECONDS=10
RUN_ID="sift-smoke-$$-${RANDOM}"
CONTAINERS=()
VOLUMES=()
FAILED_CONTAINER=""
WORK_DIR=$(mktemp -d)

step() { printf '\n--- %s\n' "$*"; }
ok() { printf '  ok: %s\n' "$*"; }
fail() {
  printf '\nFAIL: %s\n' "$*" >&2
  exit 1
}
now_ms() { date +%s%3N; }

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ] && [ -n "$FAILED_CONTAINER" ]; then
    echo "--- last log lines of $FAILED_CONTAINER" >&2
    docker logs --tail 40 "$FAILED_CONTAINER" >&2 2>&1 || true
  fi
  # -v: the anonymous volume Docker gives the image's VOLUME /app/data goes with its container.
  for name in "${CONTAINERS[@]}"; do docker rm -f -v "$name" >/dev/null 2>&1 || true; done
  for volume in "${VOLUMES[@]}"; do docker volume rm -f "$volume" >/dev/null 2>&1 || true; done
  rm -rf "$WORK_DIR"
  if [ "$status" -eq 0 ]; then echo "docker smoke test passed"; else echo "docker smoke test FAILED" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in docker curl node; do
  command -v "$tool" >/dev/null || fail "$tool is required"
done
# podman (the stand-in) runs HEALTHCHECKs from systemd timers, which a container host without
# systemd lacks: there `docker healthcheck run` triggers them. Real Docker runs them itself.
# podman's --read-only also mounts tmpfs on /tmp, /var/tmp and /run, unlike Docker's: turn that off
# so the check proves what Docker users get.
IS_PODMAN=false
HEALTH_HOW="checks run by Docker every --interval"
READ_ONLY_AS_DOCKER=()
if docker --version 2>/dev/null | grep -qi podman || docker version 2>/dev/null | grep -qi podman; then
  IS_PODMAN=true
  HEALTH_HOW="podman: checks triggered with docker healthcheck run"
  READ_ONLY_AS_DOCKER=(--read-only-tmpfs=false)
fi

# start_container SUFFIX [docker run args...]: a detached container with a unique name, left in
# $CONTAINER (not printed: a $(...) subshell would lose the cleanup list).
start_container() {
  CONTAINER="$RUN_ID-$1"
  shift
  CONTAINERS+=("$CONTAINER")
  CONTAINER_STARTED_MS=$(now_ms)
  docker run -d --name "$CONTAINER" "$@" >/dev/null 2>"$WORK_DIR/run.err" || {
    cat "$WORK_DIR/run.err" >&2
    fail "docker run $* did not start"
  }
  quiet_podman_noise <"$WORK_DIR/run.err" >&2
}

# podman without systemd says on every run and stop that it cannot schedule the healthcheck timer
# (the smoke test runs the checks itself below); everything else is shown.
quiet_podman_noise() { grep -v 'unable to get systemd connection' || true; }

# The host port that publishes a container port (published on 127.0.0.1 with a random host port).
host_port() {
  local mapping
  mapping=$(docker port "$1" "$2/tcp" | head -n 1)
  [ -n "$mapping" ] || fail "$1: port $2 is not published"
  echo "${mapping##*:}"
}

# Polls a URL until it answers 200, at most $2 seconds.
wait_http_200() {
  local url=$1 timeout_s=$2 name=$3 deadline status
  deadline=$(($(date +%s) + timeout_s))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ "$(docker inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" != "true" ]; then
      FAILED_CONTAINER=$name
      fail "$name exited before $url answered"
    fi
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    [ "$status" = "200" ] && return 0
    sleep 0.2
  done
  FAILED_CONTAINER=$name
  fail "$url did not answer 200 within ${timeout_s}s (last status: ${status:-none})"
}

# request NAME METHOD URL [curl args...]: body to $WORK_DIR/NAME.body, headers to NAME.headers;
# prints the status code.
request() {
  local label=$1 method=$2 url=$3
  shift 3
  curl -s --max-time 10 -X "$method" -o "$WORK_DIR/$label.body" -D "$WORK_DIR/$label.headers" \
    -w '%{http_code}' "$@" "$url" || echo "000"
}

expect_status() {
  local label=$1 expected=$2 actual=$3
  if [ "$actual" != "$expected" ]; then
    echo "  response body (first 600 bytes):" >&2
    head -c 600 "$WORK_DIR/$label.body" >&2 || true
    echo >&2
    fail "$label: expected HTTP $expected, got $actual"
  fi
}

expect_header() {
  local label=$1 pattern=$2
  grep -qiE "$pattern" "$WORK_DIR/$label.headers" || fail "$label: no response header matching /$pattern/"
}

# Checks a JSON body with a JavaScript predicate on `body`; $3 describes what is expected.
expect_json() {
  local label=$1 predicate=$2 what=$3
  node -e '
    const fs = require("fs");
    const [file, predicate] = process.argv.slice(1);
    let body;
    try { body = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { console.error("not JSON: " + e.message); process.exit(1); }
    const hasKey = (value, key) => value !== null && typeof value === "object" &&
      (Object.prototype.hasOwnProperty.call(value, key) || Object.values(value).some((v) => hasKey(v, key)));
    process.exit(new Function("body", "hasKey", "return (" + predicate + ");")(body, hasKey) ? 0 : 1);
  ' "$WORK_DIR/$label.body" "$predicate" || {
    head -c 600 "$WORK_DIR/$label.body" >&2
    echo >&2
    fail "$label: expected $what"
  }
}

# "in use / peak" memory of a container in MiB, from its cgroup (v2, else v1); "?" when unreadable.
container_memory() {
  docker exec "$1" sh -c '
    mib() { [ -r "$1" ] && echo $(($(cat "$1") / 1048576)) || echo "?"; }
    if [ -r /sys/fs/cgroup/memory.current ]; then
      echo "$(mib /sys/fs/cgroup/memory.current) MiB in use, peak $(mib /sys/fs/cgroup/memory.peak) MiB"
    else
      echo "$(mib /sys/fs/cgroup/memory/memory.usage_in_bytes) MiB in use, peak $(mib /sys/fs/cgroup/memory/memory.max_usage_in_bytes) MiB"
    fi' 2>/dev/null || echo "memory unreadable"
}

# json_value NAME EXPRESSION: prints EXPRESSION evaluated on the JSON body of request NAME as `body`.
json_value() {
  node -e 'const body = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(new Function("body", "return (" + process.argv[2] + ");")(body));' "$WORK_DIR/$1.body" "$2"
}

health_status() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1"; }

# Waits for the HEALTHCHECK to report healthy, at most $2 seconds.
wait_healthy() {
  local name=$1 timeout_s=$2 deadline status
  deadline=$(($(date +%s) + timeout_s))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if $IS_PODMAN; then docker healthcheck run "$name" >/dev/null 2>&1 || true; fi
    # Docker runs the first check one --interval after the start.
    status=$(health_status "$name")
    [ "$status" = "healthy" ] && return 0
    [ "$status" = "none" ] && fail "$name: the image has no HEALTHCHECK"
    sleep 1
  done
  FAILED_CONTAINER=$name
  fail "$name: health is '$status' after ${timeout_s}s"
}

# docker stop must return within MAX_STOP_SECONDS with the container's own exit code 0 (SIGTERM
# handled by node as PID 1, not a SIGKILL after the timeout). Prints the elapsed milliseconds.
stop_cleanly() {
  local name=$1 started elapsed code
  started=$(now_ms)
  docker stop -t "$MAX_STOP_SECONDS" "$name" >/dev/null 2>"$WORK_DIR/stop.err" || {
    cat "$WORK_DIR/stop.err" >&2
    fail "docker stop $name failed"
  }
  elapsed=$(($(now_ms) - started))
  quiet_podman_noise <"$WORK_DIR/stop.err" >&2
  code=$(docker inspect --format '{{.State.ExitCode}}' "$name")
  [ "$code" = "0" ] || {
    FAILED_CONTAINER=$name
    fail "$name exited with code $code after docker stop (expected 0: SIGTERM handled)"
  }
  [ "$elapsed" -lt $((MAX_STOP_SECONDS * 1000)) ] || fail "$name: docker stop took ${elapsed} ms (limit ${MAX_STOP_SECONDS} s)"
  echo "$elapsed"
}

# ---------------------------------------------------------------------------------------------------
if [ "${SIFT_SMOKE_SKIP_BUILD:-0}" != "1" ]; then
  step "build $IMAGE (base $BASE_IMAGE)"
  build_started=$(date +%s)
  docker build -t "$IMAGE" . >"$WORK_DIR/build.log" 2>&1 || {
    tail -n 60 "$WORK_DIR/build.log" >&2
    fail "docker build failed"
  }
  grep -E '^(node_modules|onnxruntime|natural|packages|TypeScript|pruned)' "$WORK_DIR/build.log" | sed 's/^/  /' || true
  ok "built in $(($(date +%s) - build_started)) s"
fi

step "image size"
image_bytes=$(docker image inspect --format '{{.Size}}' "$IMAGE")
base_bytes=$(docker image inspect --format '{{.Size}}' "$BASE_IMAGE") || fail "base image $BASE_IMAGE not found locally"
added_bytes=$((image_bytes - base_bytes))
printf '  image %s: %d MB; base %s: %d MB; added by Sift: %d MB (%d bytes; budget %d MB)\n' \
  "$IMAGE" $((image_bytes / 1000000)) "$BASE_IMAGE" $((base_bytes / 1000000)) $((added_bytes / 1000000)) "$added_bytes" "$MAX_ADDED_MB"
[ "$added_bytes" -le $((MAX_ADDED_MB * 1000000)) ] || fail "the image adds $((added_bytes / 1000000)) MB to its base (budget ${MAX_ADDED_MB} MB)"
ok "within the size budget"

step "pruned dependencies load inside the image"
docker run --rm --no-healthcheck --entrypoint node "$IMAGE" -e '
  const porter = require("natural/lib/natural/stemmers/porter_stemmer");
  const lancaster = require("natural/lib/natural/stemmers/lancaster_stemmer");
  const words = ["running", "generously", "disasters"];
  console.log("  porter:", words.map((w) => porter.stem(w)).join(" "), "| lancaster:", words.map((w) => lancaster.stem(w)).join(" "));
  if (porter.stem("running") !== "run" || lancaster.stem("running") !== "run") process.exit(1);
  const ort = require("onnxruntime-node");
  console.log("  onnxruntime-node", ort.env.versions.node, "on", process.platform + "/" + process.arch, "node", process.version);
  let wholeNatural = "refused";
  try { require("natural"); wholeNatural = "LOADED"; } catch {}
  console.log("  require(\"natural\") as a whole:", wholeNatural);
' || fail "the stemmers or onnxruntime-node do not load inside the image"
ok "natural stemmers and onnxruntime-node load"

# ---------------------------------------------------------------------------------------------------
step "docker run -p (default mode, port 3000)"
start_container web -p 127.0.0.1::3000 "$IMAGE"
web=$CONTAINER
started=$CONTAINER_STARTED_MS
web_port=$(host_port "$web" 3000)
base_url="http://127.0.0.1:$web_port"
wait_http_200 "$base_url/health" 60 "$web"
ok "/health 200 after $(($(now_ms) - started)) ms"
wait_http_200 "$base_url/ready" 60 "$web"
ok "/ready 200 (models loaded, self-tests passed) after $(($(now_ms) - started)) ms"

uid=$(docker exec "$web" id -u)
[ "$uid" != "0" ] || fail "the server runs as root"
ok "runs as uid $uid ($(docker exec "$web" id -un))"

status=$(request index GET "$base_url/index" -H 'Accept: text/html')
expect_status index 200 "$status"
expect_header index '^content-type: text/html'
grep -qi '<form' "$WORK_DIR/index.body" || fail "GET /index: no <form> in the page"
ok "GET /index → 200 HTML with the form"

status=$(request predict-form POST "$base_url/predict" -H 'Accept: text/html' \
  --data-urlencode 'text=Forest fire near La Ronge Sask. Canada, residents asked to evacuate')
expect_status predict-form 200 "$status"
expect_header predict-form '^content-type: text/html'
ok "POST /predict (urlencoded form) → 200 HTML"

status=$(request predict-json POST "$base_url/predict" -H 'Content-Type: application/json' -H 'Accept: application/json' \
  --data '{"text": "Forest fire near La Ronge Sask. Canada, residents asked to evacuate"}')
expect_status predict-json 200 "$status"
expect_json predict-json 'hasKey(body, "label")' 'a JSON prediction with a label'
ok "POST /predict (JSON) → 200 with a label: $(head -c 160 "$WORK_DIR/predict-json.body")"

wait_healthy "$web" 90
ok "HEALTHCHECK healthy $(($(now_ms) - started)) ms after docker run ($HEALTH_HOW)"

stop_ms=$(stop_cleanly "$web")
ok "docker stop → exit 0 in ${stop_ms} ms"

# logged CONTAINER FILE PATTERN: wait (10 s at most) until the container's log has a line matching
# PATTERN (grep -E), the log copied to FILE; the server writes its log in batches (≤ 200 ms late).
logged() {
  local container=$1 file=$2 pattern=$3 deadline=$(($(date +%s) + 10))
  while :; do
    # (to a file first: grep -q would end the pipe early, which pipefail counts as a failure)
    docker logs "$container" >"$file" 2>&1
    grep -Eq "$pattern" "$file" && return 0
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------------------
step "prediction log: PREDICTION_LOG=on, --read-only, a named volume on /app/data"
log_volume="$RUN_ID-data"
VOLUMES+=("$log_volume")
docker volume create "$log_volume" >/dev/null || fail "docker volume create $log_volume failed"
log_run=(-p 127.0.0.1::3000 --read-only "${READ_ONLY_AS_DOCKER[@]}" -e PREDICTION_LOG=on -v "$log_volume:/app/data" "$IMAGE")
start_container log "${log_run[@]}"
log1=$CONTAINER
log_url="http://127.0.0.1:$(host_port "$log1" 3000)"
wait_http_200 "$log_url/ready" 60 "$log1"
logged "$log1" "$WORK_DIR/log1.log" '"msg":"prediction log open"' || {
  FAILED_CONTAINER=$log1
  fail "the server did not log 'prediction log open'"
}
# better-sqlite3 is an optional dependency the image leaves out: the log can only be node:sqlite.
docker exec "$log1" sh -c 'test ! -e node_modules/better-sqlite3' || fail "better-sqlite3 is in the image"
ok "log open on $(sed -n 's/.*"store":"\([^"]*\)".*"prediction log open".*/\1/p' "$WORK_DIR/log1.log") (node:sqlite $(docker exec "$log1" node -p 'process.versions.sqlite'), on the store thread)"

log_text="Forest fire near La Ronge Sask Canada smoke check $RUN_ID"
status=$(request log-predict POST "$log_url/predict" -H 'Content-Type: application/json' -H 'Accept: application/json' \
  --data "{\"text\": \"$log_text\"}")
expect_status log-predict 200 "$status"
expect_json log-predict 'typeof body.prediction_id === "string" && typeof body.label === "number"' 'a prediction_id and a numeric label'
prediction_id=$(json_value log-predict 'body.prediction_id')
true_label=$(json_value log-predict '1 - body.label')
ok "POST /predict → prediction_id $prediction_id (label $(json_value log-predict 'body.label'))"
# The other class as the true label: the export must carry the feedback, not the prediction.
status=$(request log-feedback POST "$log_url/predictions/$prediction_id/feedback" -H 'Content-Type: application/json' \
  -H 'Accept: application/json' --data "{\"label\": $true_label}")
expect_status log-feedback 200 "$status"
expect_json log-feedback 'body.correct === false' 'feedback recorded as a correction'
ok "POST /predictions/$prediction_id/feedback {\"label\": $true_label} → 200, correct: false"

# check_logged NAME URL: /feedback.csv has the row with the true label, the monitor counts it.
check_logged() {
  local label=$1 url=$2 row
  status=$(request "$label-csv" GET "$url/feedback.csv?model=disaster-tweets")
  expect_status "$label-csv" 200 "$status"
  row=$(grep -F "$RUN_ID" "$WORK_DIR/$label-csv.body" | tr -d "\r" || true)
  [ "$row" = "$log_text,,,$true_label" ] || {
    head -c 600 "$WORK_DIR/$label-csv.body" >&2
    fail "$label: /feedback.csv has no row '$log_text,,,$true_label' (got '${row:-nothing}')"
  }
  status=$(request "$label-monitor" GET "$url/models/disaster-tweets/monitor.json")
  expect_status "$label-monitor" 200 "$status"
  expect_json "$label-monitor" 'body.summary.predictions >= 1 && body.summary.with_feedback >= 1 && body.summary.accuracy === 0' \
    'the monitor counting the prediction and its correction'
}
check_logged log-first "$log_url"
ok "/feedback.csv has the row with target $true_label; monitor.json: $(json_value log-first-monitor '[body.summary.predictions + " prediction(s)", body.summary.with_feedback + " with feedback", "accuracy " + body.summary.accuracy].join(", ")')"
status=$(request log-metrics GET "$log_url/metrics")
expect_status log-metrics 200 "$status"
written=$(sed -n 's/^sift_prediction_log_written_total \([0-9]*\)$/\1/p' "$WORK_DIR/log-metrics.body")
[ "${written:-0}" -gt 0 ] || fail "/metrics: sift_prediction_log_written_total is '${written:-missing}' (expected > 0)"
grep -q '^sift_monitor_feedback{model="disaster-tweets"} [1-9]' "$WORK_DIR/log-metrics.body" ||
  fail "/metrics: no sift_monitor_feedback for disaster-tweets"
ok "/metrics: sift_prediction_log_written_total $written, sift_monitor_feedback counted"
stop_ms=$(stop_cleanly "$log1")
ok "docker stop → exit 0 in ${stop_ms} ms"

# A new container on the same volume (an upgrade or a restart by the orchestrator).
start_container log-again "${log_run[@]}"
log2=$CONTAINER
log_url="http://127.0.0.1:$(host_port "$log2" 3000)"
wait_http_200 "$log_url/ready" 60 "$log2"
check_logged log-again "$log_url"
ok "a new container on the volume: the row and the monitor's counts are still there"
stop_ms=$(stop_cleanly "$log2")

# /app/data read-only (a bind mount owned by someone else, Kubernetes without a volume there).
mkdir -p "$WORK_DIR/ro-data"
start_container log-ro -p 127.0.0.1::3000 --read-only "${READ_ONLY_AS_DOCKER[@]}" -e PREDICTION_LOG=on \
  -v "$WORK_DIR/ro-data:/app/data:ro" "$IMAGE"
log_ro=$CONTAINER
log_url="http://127.0.0.1:$(host_port "$log_ro" 3000)"
wait_http_200 "$log_url/ready" 60 "$log_ro"
status=$(request log-ro-predict POST "$log_url/predict" -H 'Content-Type: application/json' --data '{"text": "Forest fire near La Ronge"}')
expect_status log-ro-predict 200 "$status"
logged "$log_ro" "$WORK_DIR/log-ro.log" '/app/data \(PREDICTION_LOG_PATH\) is not writable' || true
message=$(grep -o '/app/data (PREDICTION_LOG_PATH) is not writable[^"]*' "$WORK_DIR/log-ro.log" | head -n 1 || true)
[ -n "$message" ] || {
  FAILED_CONTAINER=$log_ro
  fail "with /app/data read-only the log did not say that the folder is not writable"
}
ok "/app/data read-only: /ready and /predict 200; the log says: $message"
docker rm -f -v "$log_ro" >/dev/null 2>&1 || true

# ---------------------------------------------------------------------------------------------------
step "docker run IMAGE serve (SageMaker mode, port 8080)"
start_container serve -p 127.0.0.1::8080 "$IMAGE" serve
sagemaker=$CONTAINER
sm_url="http://127.0.0.1:$(host_port "$sagemaker" 8080)"
wait_http_200 "$sm_url/ping" 60 "$sagemaker"
ok "GET /ping → 200"
status=$(request invocations POST "$sm_url/invocations" -H 'Content-Type: application/json' -H 'Accept: application/json' \
  --data '{"instances": [{"text": "Forest fire near La Ronge Sask. Canada"}, {"text": "I love fruits"}]}')
expect_status invocations 200 "$status"
expect_header invocations '^content-type: application/json'
expect_json invocations 'hasKey(body, "label") || hasKey(body, "predictions")' 'a JSON answer with predictions'
ok "POST /invocations (JSON) → 200: $(head -c 160 "$WORK_DIR/invocations.body")"
wait_healthy "$sagemaker" 60
ok "HEALTHCHECK healthy in serve mode"
stop_ms=$(stop_cleanly "$sagemaker")
ok "docker stop → exit 0 in ${stop_ms} ms"

# ---------------------------------------------------------------------------------------------------
step "hardened: --read-only, -m 256m, --cap-drop ALL, no-new-privileges"
start_container hardened -p 127.0.0.1::3000 --read-only "${READ_ONLY_AS_DOCKER[@]}" -m 256m --memory-swap 256m \
  --cap-drop ALL --security-opt no-new-privileges -e RATE_LIMIT_PER_MINUTE=600 "$IMAGE"
hardened=$CONTAINER
started=$CONTAINER_STARTED_MS
hard_url="http://127.0.0.1:$(host_port "$hardened" 3000)"
wait_http_200 "$hard_url/ready" 60 "$hardened"
ok "ready after $(($(now_ms) - started)) ms"
status=$(request hardened-json POST "$hard_url/predict" -H 'Content-Type: application/json' -H 'Accept: application/json' \
  --data '{"text": "Forest fire near La Ronge Sask. Canada"}')
expect_status hardened-json 200 "$status"
expect_json hardened-json 'hasKey(body, "label")' 'a JSON prediction with a label'
status=$(request hardened-form POST "$hard_url/predict" -H 'Accept: text/html' --data-urlencode 'text=Forest fire near La Ronge')
expect_status hardened-form 200 "$status"
ok "predictions (JSON and form) on a read-only root filesystem within 256 MB"
for dir in /app /tmp "\$HOME"; do
  if docker exec "$hardened" sh -c "touch $dir/.write-probe" 2>/dev/null; then
    fail "the read-only container could write to $dir"
  fi
done
ok "/app, /tmp and \$HOME are read-only"
# The largest request the default limits allow (MAX_CSV_ROWS rows, under MAX_UPLOAD_BYTES) must fit.
node -e '
  const words = "fire flood storm earthquake evacuate smoke wildfire flight delay crew seat bag great awful love".split(" ");
  let csv = "text\n";
  for (let i = 0; i < 10000; i++) {
    const row = [];
    for (let j = 0; j < 60; j++) row.push(words[(i * 7 + j * 13) % words.length]);
    csv += row.join(" ") + "\n";
  }
  require("fs").writeFileSync(process.argv[1], csv);
' "$WORK_DIR/upload.csv"
status=$(request hardened-csv POST "$hard_url/predict" -H 'Accept: text/csv' -F "file=@$WORK_DIR/upload.csv;type=text/csv")
expect_status hardened-csv 200 "$status"
rows=$(($(wc -l <"$WORK_DIR/hardened-csv.body") - 1))
[ "$rows" = "10000" ] || fail "CSV upload: expected 10000 predicted rows, got $rows"
ok "10,000-row CSV upload ($(($(wc -c <"$WORK_DIR/upload.csv") / 1024)) KiB) → 10,000 predictions; $(container_memory "$hardened") of 256"
# The documented maxima at once (wide and long 5 MB CSVs, eight 1 MB explained batches): answered,
# or refused with 413/503 + Retry-After, while /health answers; never OOM-killed.
if ! node scripts/memory-check.js --url "$hard_url" --json "$WORK_DIR/memory-check.json" >"$WORK_DIR/memory-check.out" 2>&1; then
  sed 's/^/  /' "$WORK_DIR/memory-check.out"
  FAILED_CONTAINER=$hardened
  fail "the documented maxima at once: $(docker inspect --format 'OOMKilled={{.State.OOMKilled}} running={{.State.Running}}' "$hardened")"
fi
[ "$(docker inspect --format '{{.State.OOMKilled}} {{.State.Running}}' "$hardened")" = "false true" ] ||
  fail "the container was OOM-killed or stopped under the documented maxima"
ok "documented maxima at once in 256 MB: $(node -e 'const r = require(process.argv[1]).report; console.log(JSON.stringify(r.statuses) + "; worst /health " + r.health.worstMs + " ms")' "$WORK_DIR/memory-check.json"); not OOM-killed"
stop_ms=$(stop_cleanly "$hardened")
ok "docker stop → exit 0 in ${stop_ms} ms"

# ---------------------------------------------------------------------------------------------------
step "EC2 user data: sift-up with the settings it writes (under a test root; no package install)"
ec2_root="$WORK_DIR/ec2-root"
ec2_name="$RUN_ID-ec2"
CONTAINERS+=("$ec2_name")
VOLUMES+=("$ec2_name-data")
# HTTP_PUBLISH "127.0.0.1:" becomes -p 127.0.0.1::3000: loopback, any free host port.
if ! SIFT_TEST_ROOT="$ec2_root" IMAGE="$IMAGE" HTTP_PUBLISH="127.0.0.1:" CONTAINER_NAME="$ec2_name" DATA_VOLUME="$ec2_name-data" WEB_CONCURRENCY=2 \
  bash scripts/ec2-user-data.sh 2>&1 | quiet_podman_noise | sed 's/^/  /'; then
  FAILED_CONTAINER=$ec2_name
  fail "scripts/ec2-user-data.sh failed"
fi
settings=$(docker inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Memory}}' "$ec2_name")
[ "$settings" = "unless-stopped true $(((128 + 128 * 2) * 1048576))" ] || fail "the EC2 container runs with '$settings' (restart policy, read-only, memory)"
docker exec "$ec2_name" sh -c 'test "$RATE_LIMIT_PER_MINUTE" -gt 0' || fail "the EC2 container has no rate limit"
ec2_url="http://127.0.0.1:$(host_port "$ec2_name" 3000)"
status=$(request ec2-json POST "$ec2_url/predict" -H 'Content-Type: application/json' --data '{"text": "Forest fire near La Ronge"}')
expect_status ec2-json 200 "$status"
ok "restart unless-stopped, read-only, rate limited; 2 workers: $(container_memory "$ec2_name") of $((128 + 128 * 2)); POST /predict → 200"
stop_ms=$(stop_cleanly "$ec2_name")
ok "docker stop (cluster of 2 workers) → exit 0 in ${stop_ms} ms"
