#!/bin/sh
# What the official nginx image adds to the package: logs on the container's stdout/stderr
# (so `kubectl logs` shows them), and no default site that listens twice.
set -eu
root=$1
ln -sf /dev/stdout "$root/var/log/nginx/access.log"
ln -sf /dev/stderr "$root/var/log/nginx/error.log"
mkdir -p "$root/usr/share/nginx/html"
cp "$root/var/www/html/index.nginx-debian.html" "$root/usr/share/nginx/html/index.html" 2>/dev/null || true
