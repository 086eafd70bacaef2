# Shared by the deb and rpm maintainer scripts (sourced from
# /usr/share/influx-token-helper while the package's files are in place: by
# postinst and prerm, rpm's %post and %preun). What runs once the files are
# gone (deb postrm purge, rpm %postun) is written in those scripts.

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

ith_systemd_running() {
  [ -d /run/systemd/system ]
}

ith_daemon_reload() {
  if ith_systemd_running; then
    systemctl daemon-reload >/dev/null 2>&1 || true
  fi
}

# Earlier packages had one restart unit per consumer,
# influx-token-helper-restart@UNIT.path, watching both UNIT.env and
# UNIT.cred; with two watched files systemd could miss a rewrite, and the
# unit is gone. Each consumer it was enabled for gets, enabled and started,
# the unit of the sink that exists now (both when neither does): its
# restarts after a rotation go on without a gap. Call after daemon-reload.
ith_migrate_restart_units() {
  for link in /etc/systemd/system/*.wants/influx-token-helper-restart@*.path; do
    [ -L "$link" ] || continue
    unit=${link##*/}
    inst=${unit#influx-token-helper-restart@}
    inst=${inst%.path}
    kinds=""
    [ -e "/run/influx-token-helper/$inst.env" ] && kinds="env"
    [ -e "/run/influx-token-helper/$inst.cred" ] && kinds="$kinds cred"
    [ -n "$kinds" ] || kinds="env cred"
    rm -f "$link"
    if ith_systemd_running; then
      systemctl stop "$unit" >/dev/null 2>&1 || true
    fi
    for kind in $kinds; do
      systemctl enable "influx-token-helper-restart-$kind@$inst.path" >/dev/null 2>&1 || true
      if ith_systemd_running; then
        systemctl start "influx-token-helper-restart-$kind@$inst.path" >/dev/null 2>&1 || true
      fi
      echo "influx-token-helper: $unit is replaced by influx-token-helper-restart-$kind@$inst.path (enabled)"
    done
  done
}

# Start the package's timers and path units that are enabled, instances
# included, as dh_installsystemd does: a reinstall after a remove (which
# stopped them) or an aborted remove must not leave them enabled but idle,
# with no rotation until the next boot. On an upgrade they run already.
ith_start_enabled_units() {
  ith_systemd_running || return 0
  # the restart units first: a timer's catch-up run may rewrite a sink at once
  for kind in path timer; do
    for link in /etc/systemd/system/*.wants/influx-token-helper*."$kind" \
                /etc/systemd/system/*.requires/influx-token-helper*."$kind" \
                /run/systemd/system/*.wants/influx-token-helper*."$kind"; do
      [ -L "$link" ] || continue
      # deb-systemd-invoke honours policy-rc.d (a chroot, an image build) where it exists
      if command -v deb-systemd-invoke >/dev/null 2>&1; then
        deb-systemd-invoke start "${link##*/}" >/dev/null 2>&1 || true
      else
        systemctl start "${link##*/}" >/dev/null 2>&1 || true
      fi
    done
  done
}

# Stop every unit of the package, instances included: timers and path units
# first, so that nothing starts a service again; then the services; then
# forget failures, so that no unit is left failed or not-found.
ith_stop_units() {
  ith_systemd_running || return 0
  systemctl stop 'influx-token-helper*.timer' 'influx-token-helper*.path' >/dev/null 2>&1 || true
  systemctl stop 'influx-token-helper*.service' >/dev/null 2>&1 || true
  systemctl reset-failed 'influx-token-helper*' >/dev/null 2>&1 || true
}
