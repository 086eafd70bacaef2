# $1: 1 on install, 2 (or more) on upgrade.
. /usr/share/influx-token-helper/maint-common.sh
ith_create_dirs
ith_daemon_reload
if [ "$1" -ge 2 ]; then
  ith_migrate_restart_units
fi
ith_start_enabled_units
exit 0
