#!/usr/bin/env bash
# Start Debian's dockerd when no Docker engine answers (these machines have no systemd to do
# it). Its log: /var/log/dockerd.log.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
echo "Starting dockerd (log: /var/log/dockerd.log)"
nohup dockerd >>/var/log/dockerd.log 2>&1 &
dockerd_pid=$!
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  kill -0 "$dockerd_pid" 2>/dev/null || break # it exited: its log says why
  sleep 1
done
echo "dockerd did not start:" >&2
tail -20 /var/log/dockerd.log >&2
exit 1
