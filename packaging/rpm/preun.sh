# $1: 0 on erase, 1 on upgrade (the units keep running then).
if [ "$1" = 0 ]; then
  if [ -r /usr/share/influx-token-helper/maint-common.sh ]; then
    . /usr/share/influx-token-helper/maint-common.sh
    ith_stop_units
  fi
fi
exit 0
