# Shared by the deb and rpm maintainer scripts (sourced).
ith_create_user() {
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers /usr/lib/sysusers.d/influx-token-helper.conf >/dev/null
  else
    getent group telegraf >/dev/null || groupadd -r telegraf
    getent passwd influx-token-helper >/dev/null || \
      useradd -r -M -d /var/lib/influx-token-helper -s /usr/sbin/nologin -c "InfluxDB token helper" \
        -U influx-token-helper
    usermod -a -G telegraf influx-token-helper
  fi
}

ith_create_dirs() {
  if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --create /usr/lib/tmpfiles.d/influx-token-helper.conf >/dev/null 2>&1 || true
  fi
  install -d -m 0700 -o influx-token-helper -g influx-token-helper /var/lib/influx-token-helper
  install -d -m 0755 -o influx-token-helper -g influx-token-helper /run/influx-token-helper
  # The config names accounts and clusters: readable by the service, not by everyone.
  if [ -f /etc/influx-token-helper/helper.conf ]; then
    chgrp influx-token-helper /etc/influx-token-helper/helper.conf
    chmod 0640 /etc/influx-token-helper/helper.conf
  fi
}

ith_daemon_reload() {
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
  fi
}

ith_purge() {
  rm -rf /var/lib/influx-token-helper /run/influx-token-helper /etc/influx-token-helper
}
