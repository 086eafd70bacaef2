. /usr/share/influx-token-helper/maint-common.sh
ith_create_dirs
ith_daemon_reload
exit 0
