#!/bin/sh
# What the official httpd image adds to the package: a foreground entry point and logs on
# the container's stdout/stderr.
set -eu
root=$1
cat >"$root/usr/local/bin/httpd-foreground" <<'SCRIPT'
#!/bin/sh
set -e
. /etc/apache2/envvars
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
rm -f "$APACHE_PID_FILE"
exec apache2 -DFOREGROUND "$@"
SCRIPT
chmod 755 "$root/usr/local/bin/httpd-foreground"
ln -sf /dev/stdout "$root/var/log/apache2/access.log"
ln -sf /dev/stdout "$root/var/log/apache2/other_vhosts_access.log"
ln -sf /dev/stderr "$root/var/log/apache2/error.log"
