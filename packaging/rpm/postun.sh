# $1: 0 on erase, 1 on upgrade. rpm has no purge: an erase removes what the
# deb's purge removes (state, sink files, the management tokens, the
# enablement links of the units, instances included, their drop-ins and
# stamps), except that rpm itself keeps a changed helper.conf as
# helper.conf.rpmsave, and the other configurations beside it.
if [ "$1" = 0 ]; then
  rm -rf /var/lib/influx-token-helper /run/influx-token-helper
  rm -f /etc/influx-token-helper/*management-token
  # The units' own entries only: overrides and drop-in directories named after
  # them, and their enablement links; not a consumer's drop-in file or link.
  for f in /etc/systemd/system/influx-token-helper* /etc/systemd/system/*.wants/influx-token-helper* \
           /etc/systemd/system/*.requires/influx-token-helper*; do
    if [ -e "$f" ] || [ -L "$f" ]; then rm -rf "$f"; fi
  done
  rm -f /var/lib/systemd/timers/stamp-influx-token-helper*.timer
  # Drop-ins the administrator installed for consumers (Telegraf's) still refer
  # to the helper: say so, and leave them to the administrator.
  for f in $(grep -l -s influx-token-helper /etc/systemd/system/*.d/*.conf || true); do
    echo "influx-token-helper: $f still refers to influx-token-helper; remove it, and the consumer's settings that read the token, if this host no longer uses the helper" >&2
  done
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  systemctl reset-failed 'influx-token-helper*' >/dev/null 2>&1 || true
fi
exit 0
