#!/usr/bin/env bash
# Prints a loopback TCP port nothing listens on, from 20000-31999 (below the kernel's
# ephemeral range, so outgoing connections do not grab it before it is used). For the
# README's commands and the tests, so they do not fail when a fixed port is taken.
set -euo pipefail
for _ in $(seq 200); do
  port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
  if [[ -z $(ss -Htan "( sport = :$port )" 2>/dev/null) ]]; then
    echo "$port"
    exit 0
  fi
done
echo "free-port.sh: no free loopback port found" >&2
exit 1
