# $1: 0 on erase, 1 on upgrade. rpm has no purge: an erase removes what the
# deb's purge removes (state, sink files, the management tokens, the
# enablement links of the units, instances included, their drop-ins and
# stamps), except that rpm itself keeps a changed helper.conf as
# helper.conf.rpmsave, and the other configurations beside it.
if [ "$1" = 0 ]; then
  rm -rf /var/lib/influx-token-helper /run/influx-token-helper
  rm -f /etc/influx-token-helper/*management-token
  find /etc/systemd/system -maxdepth 2 -name 'influx-token-helper*' \( -type l -o -type d \) \
    -exec rm -rf {} + 2>/dev/null || true
  rm -f /var/lib/systemd/timers/stamp-influx-token-helper*.timer
  for f in /etc/systemd/system/*.d/influx-token-helper*.conf; do
    [ -e "$f" ] || continue
    echo "influx-token-helper: $f still refers to influx-token-helper; remove it, and the consumer's settings that read the token, if this host no longer uses the helper" >&2
  done
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  systemctl reset-failed 'influx-token-helper*' >/dev/null 2>&1 || true
fi
exit 0
