#!/usr/bin/env bash
# The Dockerfile's base image: already here, or pulled; when no registry can be reached (as on
# the machines this project is built on), a stand-in is built from the machine's own Debian
# packages under the same name, so the real Dockerfile builds unchanged. The stand-in is
# Debian bookworm (minbase) with Debian's Python 3.11 in a virtualenv first on PATH, where the
# official image has its own build of 3.11 in /usr/local, and this machine's CA bundle, so pip
# in the build reaches the package index through the machine's proxy. It is labelled as a
# stand-in and is never pushed anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$(sed -n 's/^FROM[[:space:]]\+\([^[:space:]]\+\).*/\1/p' Dockerfile | head -1)

label=org.opencontainers.image.description
# Asked in two steps: for a missing image, some docker clients print an empty line before
# failing, which a single `inspect || echo absent` would read as an image with no label.
if docker image inspect "$base" >/dev/null 2>&1; then
  present=$(docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$base")
else
  present=absent
fi
if [[ $present != absent && $present != stand-in* ]]; then
  exit 0 # the real image
fi
if timeout 300 docker pull "$base"; then
  exit 0
fi
if [[ $present == stand-in* ]]; then
  echo "$base: $present"
  exit 0
fi

echo "$base cannot be pulled: building a stand-in from Debian packages"
rootfs=$(mktemp -d)/rootfs.tar
trap 'rm -rf "$(dirname "$rootfs")"' EXIT
mmdebstrap --quiet --variant=minbase --include=python3.11,python3.11-venv,ca-certificates \
  --customize-hook='upload /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt' \
  --customize-hook='chroot "$1" python3.11 -m venv /opt/python' \
  bookworm "$rootfs"
docker import \
  --change 'ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change "LABEL $label=\"stand-in for $base: Debian bookworm minbase and Debian's Python 3.11, built by containers/base-image.sh; never pushed\"" \
  --change 'CMD ["python3"]' \
  "$rootfs" "$base"
