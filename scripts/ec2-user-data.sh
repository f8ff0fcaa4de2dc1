#!/bin/bash
# Sift on one EC2 host: paste as the instance's user data (cloud-init runs it once, as root, at
# first boot) on Amazon Linux 2023 or Ubuntu 22.04/24.04. It installs Docker, then writes and runs
# /usr/local/sbin/sift-up, which (re)creates the container with a restart policy, a read-only root
# filesystem, a memory limit, rate limiting and rotated logs. Run `sudo sift-up` again after
# changing /etc/sift/sift.env or loading a new image. Steps and security group: docs/deploy.md.
#
# Where the image comes from (IMAGE below):
#   - ECR: 123456789012.dkr.ecr.REGION.amazonaws.com/sift:TAG — the instance role needs
#     AmazonEC2ContainerRegistryReadOnly; the script logs in with the AWS CLI and pulls.
#   - any registry the host can pull from anonymously: e.g. ghcr.io/OWNER/sift:TAG.
#   - no registry: leave IMAGE=sift:latest and copy the image over SSH after boot:
#       docker save sift:latest | gzip | ssh ec2-user@HOST 'gunzip | sudo docker load && sudo sift-up'
set -euo pipefail

# ---- settings (edit here; cloud-init's environment is empty, so the defaults apply) --------------------
IMAGE="${IMAGE:-sift:latest}"
# Empty: plain HTTP on port 80. A domain whose DNS A record points at this host: Caddy in front
# answers 80 and 443 and gets a Let's Encrypt certificate; Sift is then not published at all.
DOMAIN="${DOMAIN:-}"
# Requests per client IP per minute on the API and the form (health probes are never limited).
RATE_LIMIT_PER_MINUTE="${RATE_LIMIT_PER_MINUTE:-120}"
# One Node.js worker per core (node:cluster); the memory limit grows with the workers.
WEB_CONCURRENCY="${WEB_CONCURRENCY:-$(nproc)}"
MEMORY_LIMIT_MB="${MEMORY_LIMIT_MB:-$((128 + 128 * WEB_CONCURRENCY))}"
# Where plain-HTTP mode publishes the server: docker's -p syntax ([IP:]PORT).
HTTP_PUBLISH="${HTTP_PUBLISH:-80}"
CONTAINER_NAME="${CONTAINER_NAME:-sift}"
# The named volume on /app/data: with PREDICTION_LOG=on in /etc/sift/sift.env the log's SQLite file
# outlives every container sift-up replaces.
DATA_VOLUME="${DATA_VOLUME:-sift-data}"
CADDY_IMAGE="${CADDY_IMAGE:-caddy:2}"
# Tests only: install under another root and leave the package manager alone.
ROOT_DIR="${SIFT_TEST_ROOT:-}"
# -------------------------------------------------------------------------------------------------------
ETC_DIR="${ROOT_DIR}/etc/sift"
SIFT_UP="${ROOT_DIR}/usr/local/sbin/sift-up"

log() { echo "sift user-data: $*"; }

install_docker() {
  if command -v docker >/dev/null 2>&1; then
    log "docker is already installed"
  else
    # shellcheck source=/dev/null
    . /etc/os-release
    case "${ID}" in
      amzn | fedora | rhel | centos | rocky | almalinux)
        dnf install -y docker
        ;;
      ubuntu | debian)
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q docker.io
        ;;
      *)
        log "unsupported distribution '${ID}': install Docker yourself, then run this script again"
        exit 1
        ;;
    esac
  fi
  systemctl enable --now docker
}

install_aws_cli() {
  command -v aws >/dev/null 2>&1 && return 0
  if command -v snap >/dev/null 2>&1; then
    snap install aws-cli --classic
  else
    log "the AWS CLI is missing and snap is not available: install it to pull from ECR"
    return 1
  fi
}

write_config() {
  install -d -m 0755 "${ETC_DIR}"
  cat >"${ETC_DIR}/settings" <<EOF
IMAGE="${IMAGE}"
DOMAIN="${DOMAIN}"
MEMORY_LIMIT_MB="${MEMORY_LIMIT_MB}"
HTTP_PUBLISH="${HTTP_PUBLISH}"
CONTAINER_NAME="${CONTAINER_NAME}"
DATA_VOLUME="${DATA_VOLUME}"
CADDY_IMAGE="${CADDY_IMAGE}"
EOF
  # The container's environment (see the configuration table in the README). With Caddy in front,
  # the only client Sift sees is the proxy: trust one hop of X-Forwarded-For and turn on HTTPS-only
  # headers (HSTS, CSP upgrade-insecure-requests); on plain HTTP both must stay off.
  if [ -n "${DOMAIN}" ]; then
    trust_proxy=1
    https_only=true
  else
    trust_proxy=false
    https_only=false
  fi
  cat >"${ETC_DIR}/sift.env" <<EOF
NODE_ENV=production
PORT=3000
WEB_CONCURRENCY=${WEB_CONCURRENCY}
RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE}
TRUST_PROXY=${trust_proxy}
HTTPS_ONLY=${https_only}
LOG_LEVEL=info
EOF
  if [ -n "${DOMAIN}" ]; then
    cat >"${ETC_DIR}/Caddyfile" <<EOF
${DOMAIN} {
	encode gzip
	reverse_proxy ${CONTAINER_NAME}:3000
}
EOF
  fi
}

write_sift_up() {
  install -d -m 0755 "$(dirname "${SIFT_UP}")"
  sed "s|@ETC_DIR@|${ETC_DIR}|" >"${SIFT_UP}" <<'EOF'
#!/bin/bash
# (Re)creates the Sift container (and Caddy when DOMAIN is set) from the settings in @ETC_DIR@.
# Written by Sift's EC2 user data (scripts/ec2-user-data.sh).
set -euo pipefail
ETC_DIR="@ETC_DIR@"
# shellcheck source=/dev/null
. "${ETC_DIR}/settings"

log_options=(--log-driver json-file --log-opt max-size=10m --log-opt max-file=5)

obtain_image() {
  if [[ "${IMAGE}" =~ ^[0-9]+\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/ ]]; then
    local region=${BASH_REMATCH[1]}
    aws ecr get-login-password --region "${region}" | docker login --username AWS --password-stdin "${IMAGE%%/*}"
    docker pull "${IMAGE}"
  elif [[ "${IMAGE%%/*}" == *.* ]]; then
    docker pull "${IMAGE}"
  elif ! docker image inspect "${IMAGE}" >/dev/null 2>&1; then
    echo "sift-up: ${IMAGE} is not on this host yet; load it, then run sift-up again:" >&2
    echo "  docker save ${IMAGE} | gzip | ssh USER@HOST 'gunzip | sudo docker load && sudo sift-up'" >&2
    exit 3
  fi
}

obtain_image
docker rm -f "${CONTAINER_NAME}" >/dev/null 2>&1 || true
publish=(-p "${HTTP_PUBLISH}:3000")
if [ -n "${DOMAIN}" ]; then
  docker network inspect sift-net >/dev/null 2>&1 || docker network create sift-net >/dev/null
  publish=(--network sift-net)
fi
docker run -d --name "${CONTAINER_NAME}" \
  --restart unless-stopped \
  "${publish[@]}" \
  --env-file "${ETC_DIR}/sift.env" \
  --read-only -v "${DATA_VOLUME}:/app/data" \
  --memory "${MEMORY_LIMIT_MB}m" --memory-swap "${MEMORY_LIMIT_MB}m" \
  --cap-drop ALL --security-opt no-new-privileges \
  --stop-timeout 10 \
  "${log_options[@]}" \
  "${IMAGE}" >/dev/null

if [ -n "${DOMAIN}" ]; then
  docker rm -f caddy >/dev/null 2>&1 || true
  docker run -d --name caddy \
    --restart unless-stopped \
    --network sift-net \
    -p 80:80 -p 443:443 -p 443:443/udp \
    -v "${ETC_DIR}/Caddyfile:/etc/caddy/Caddyfile:ro" \
    -v caddy_data:/data -v caddy_config:/config \
    --memory 128m \
    "${log_options[@]}" \
    "${CADDY_IMAGE}" >/dev/null
fi

for _ in $(seq 1 60); do
  if [ "$(docker inspect --format '{{.State.Running}}' "${CONTAINER_NAME}")" != "true" ]; then
    docker logs --tail 30 "${CONTAINER_NAME}" >&2
    echo "sift-up: the container stopped" >&2
    exit 1
  fi
  if docker exec "${CONTAINER_NAME}" node -e "fetch('http://127.0.0.1:3000/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    echo "sift-up: ${IMAGE} is serving${DOMAIN:+ at https://${DOMAIN}}"
    exit 0
  fi
  sleep 1
done
echo "sift-up: not ready after 60 s; docker logs ${CONTAINER_NAME} tells why" >&2
exit 1
EOF
  chmod 0755 "${SIFT_UP}"
}

main() {
  if [ -z "${ROOT_DIR}" ]; then
    install_docker
    if [[ "${IMAGE}" =~ \.dkr\.ecr\. ]]; then install_aws_cli; fi
  fi
  write_config
  write_sift_up
  # A missing image (exit 3) is expected when it is copied over SSH after boot: not a failed boot.
  "${SIFT_UP}" || {
    status=$?
    [ "${status}" -eq 3 ] || exit "${status}"
  }
}

main "$@"
