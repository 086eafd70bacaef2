getent group telegraf >/dev/null || groupadd -r telegraf
getent passwd influx-token-helper >/dev/null || \
  useradd -r -M -d /var/lib/influx-token-helper -s /sbin/nologin -c "InfluxDB token helper" -U influx-token-helper
usermod -a -G telegraf influx-token-helper
exit 0
