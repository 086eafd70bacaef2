if [ "$1" = 0 ]; then
  rm -rf /var/lib/influx-token-helper /run/influx-token-helper
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
