#!/bin/bash
# Packages: build the .deb and .rpm with CPack, lint and inspect them, and
# (as root with CI=true or ITH_TEST_INSTALL=1) install the .deb, run the
# installed binary against the emulator as the service user, and purge it.
# Usage: tests/test_packages.sh BUILD_DIR
#        tests/test_packages.sh --decide PAGE...  (only prints the two decisions
#        below, for PAGEs such as 'bash(1)', and exits: builds and installs nothing)
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/tests/skiprule.sh"
passed=0 failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
bad() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# install_wanted: whether to install the .deb system-wide (root, and CI=true or
# ITH_TEST_INSTALL=1); prints the skip line when not. No registry offers root,
# so that skip stands under CI=true too.
install_wanted() {
  if [ "$(id -u)" -ne 0 ] || { [ "${CI:-}" != true ] && [ -z "${ITH_TEST_INSTALL:-}" ]; }; then
    echo "skip - installing the .deb (needs root and CI=true or ITH_TEST_INSTALL=1)"
    return 1
  fi
}
# man_mode PAGE... : sets man_opt, systemd-analyze verify's --man=: "yes" only where
# `man -w` finds each PAGE ('name(section)', the package's own pages), so that a
# Documentation= naming a page that does not exist fails there, and no run prints
# "Command 'man ...' failed" for want of man-db or of installed pages. Otherwise
# "no", with the reason in man_note; returns 1 (man_note says why) when that is a
# failure: under CI=true with man-db missing and offered (tests/skiprule.sh).
man_mode() {
  local p missing=""
  man_opt=no man_note=""
  if ! command -v man >/dev/null 2>&1; then
    man_note=$(ith_skip_verdict man-db \
      "Documentation= pages not opened by systemd-analyze: man is not installed (apt-get install man-db)")
    return
  fi
  for p in "$@"; do
    p=${p%)}
    man -w "${p#*(}" "${p%(*}" >/dev/null 2>&1 || missing="$missing ${p})"
  done
  if [ -n "$missing" ]; then
    man_note="Documentation= pages not opened by systemd-analyze: man -w finds no$missing here"
    man_note="$man_note (MANPATH=${MANPATH:-}; pages excluded, as minimal images do?)"
    return 0
  fi
  man_opt=yes
}
# man_check PAGE...: man_mode, with its skip or failure reported
man_check() {
  if man_mode "$@"; then
    [ "$man_opt" = yes ] || echo "skip - $man_note"
  else
    bad "$man_note"
  fi
}
if [ "${1:-}" = --decide ]; then
  shift
  install_wanted && echo "install: yes"
  man_check "$@"
  echo "man: $man_opt"
  [ "$failed" -eq 0 ]
  exit
fi

build=$(cd "$1" && pwd)
cd "$build" || exit 1
rm -rf packages
cpack -G DEB >cpack-deb.log 2>&1 && cpack -G RPM >cpack-rpm.log 2>&1 || { cat cpack-*.log; echo "0 passed, 1 failed"; exit 1; }
deb=$(ls packages/*.deb) rpm=$(ls packages/*.rpm)
ok "both packages build: $(basename "$deb"), $(basename "$rpm")"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >deb-files.txt
# the package's own man pages, as name(section)
pages=$(sed -n 's|^/usr/share/man/man[1-9]/\(.*\)\.\([1-9]\)\.gz$|\1(\2)|p' deb-files.txt | tr '\n' ' ')

# lintian: no errors; warnings listed
lintian --tag-display-limit 0 "$deb" >lintian.txt 2>/dev/null
grep -E '^[EW]:' lintian.txt | sed 's/^/  lintian: /'
check "lintian reports 0 errors ($(grep -c '^W:' lintian.txt) warnings)" test "$(grep -c '^E:' lintian.txt)" -eq 0

# the units, pointed at the built binary
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# verify_units DIR UNIT...: systemd-analyze verify in DIR, --man=$man_opt (man_mode);
# any message at all (an unknown key or a bad value is only "ignoring" to systemd)
# is a failure.
verify_units() {
  local dir=$1 out; shift
  out=$(cd "$dir" && systemd-analyze verify --man="$man_opt" "$@" 2>&1) && [ -z "$out" ] && return 0
  echo "$out" | sed 's/^/  systemd-analyze: /'
  return 1
}
# Every Documentation=man: page of the units is one the package ships (wherever man is).
docs=$(cat "$src"/packaging/systemd/* | sed -n 's/^Documentation=//p' | tr ' ' '\n' | sed -n 's/^man://p' | sort -u |
  tr '\n' ' ')
missing=""
for d in $docs; do case " $pages " in *" $d "*) ;; *) missing="$missing $d" ;; esac; done
check "every Documentation=man: page of the units is shipped (${docs% })${missing:+ (not shipped:$missing)}" \
  test -n "$docs" -a -z "$missing"
# The package's pages, as the installed package has them, for systemd-analyze to open.
dpkg-deb -x "$deb" "$tmp/deb"
export MANPATH="$tmp/deb/usr/share/man:"
# shellcheck disable=SC2086
man_check $pages
# A stand-in telegraf.service shaped like Telegraf's packaged unit, for the drop-ins.
telegraf_unit() {
  printf '%s\n' '[Unit]' 'Description=Telegraf (stand-in)' 'Wants=network-online.target' 'After=network-online.target' \
    '[Service]' 'Type=notify' 'NotifyAccess=all' 'EnvironmentFile=-/etc/default/telegraf' 'User=telegraf' \
    'ExecStart=/bin/true' 'Restart=on-failure' '[Install]' 'WantedBy=multi-user.target' >"$1/telegraf.service"
}
mkdir "$tmp/units"
sed "s|/usr/bin/influx-token-helper|$build/influx-token-helper|" "$src/packaging/systemd/influx-token-helper.service" \
  >"$tmp/units/influx-token-helper.service"
units="influx-token-helper.service"
for f in "$src"/packaging/systemd/*; do
  n=$(basename "$f")
  [ "$n" = influx-token-helper.service ] && continue
  sed "s|/usr/bin/influx-token-helper|$build/influx-token-helper|" "$f" >"$tmp/units/$n"
  case $n in *@.*) units="$units ${n%@.*}@telegraf.${n##*.}" ;; *) units="$units $n" ;; esac
done
telegraf_unit "$tmp/units"
# shellcheck disable=SC2086
check "systemd-analyze verify (--man=$man_opt) passes on the units ($units)" verify_units "$tmp/units" $units telegraf.service
ndrop=0
for d in "$src"/plugin/telegraf/systemd/*.conf; do
  rm -rf "$tmp/units/telegraf.service.d" && mkdir "$tmp/units/telegraf.service.d" && cp "$d" "$tmp/units/telegraf.service.d/"
  check "systemd-analyze verify passes on telegraf.service with drop-in $(basename "$d")" \
    verify_units "$tmp/units" telegraf.service influx-token-helper-restart-env@telegraf.path \
      influx-token-helper-restart-cred@telegraf.path
  ndrop=$((ndrop + 1))
done
check "every drop-in verified ($ndrop)" test "$ndrop" -ge 3
unset MANPATH

# contents and requirements
dpkg-deb -f "$deb" Depends | grep -q 'libcurl4' && dpkg-deb -f "$deb" Depends | grep -q 'libjson-c5' &&
  dpkg-deb -f "$deb" Depends | grep -q 'libconfig9'
check "deb Depends names libcurl4, libjson-c5, libconfig9: $(dpkg-deb -f "$deb" Depends)" test $? -eq 0
check "deb conffiles holds helper.conf" sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/influx-token-helper/helper.conf"
rpm -qpl "$rpm" >rpm-files.txt 2>/dev/null
rpm -qpR "$rpm" >rpm-requires.txt 2>/dev/null
want_files="/usr/bin/influx-token-helper /etc/influx-token-helper/helper.conf
/usr/lib/systemd/system/influx-token-helper.service /usr/lib/systemd/system/influx-token-helper.timer
/usr/lib/systemd/system/influx-token-helper-restart-env@.path /usr/lib/systemd/system/influx-token-helper-restart-cred@.path
/usr/lib/systemd/system/influx-token-helper-restart@.service
/usr/sbin/influx-token-helper-admin /usr/share/man/man8/influx-token-helper-admin.8.gz
/usr/share/influx-token-helper/telegraf/telegraf.conf /usr/share/influx-token-helper/telegraf/telegraf-1.34.conf
/usr/share/influx-token-helper/telegraf/telegraf-1.27.conf /usr/share/influx-token-helper/telegraf/telegraf-credential.conf
/usr/share/influx-token-helper/telegraf/systemd/telegraf-influx-token-helper.conf
/usr/share/influx-token-helper/telegraf/systemd/telegraf-credential.conf
/usr/share/influx-token-helper/telegraf/systemd/telegraf-env.conf
/usr/share/doc/influx-token-helper/examples/helper-telegraf.conf
/usr/lib/systemd/system/influx-token-helper@.service /usr/lib/systemd/system/influx-token-helper@.timer
/usr/lib/sysusers.d/influx-token-helper.conf /usr/lib/tmpfiles.d/influx-token-helper.conf
/usr/share/man/man1/influx-token-helper.1.gz /usr/share/man/man5/helper.conf.5.gz
/usr/share/bash-completion/completions/influx-token-helper"
missing=""
for f in $want_files; do grep -qx "$f" rpm-files.txt || missing="$missing $f"; done
check "rpm -qpl lists the binary, the admin command, config, units, sysusers/tmpfiles, man pages, completion, Telegraf files${missing:+ (missing:$missing)}" test -z "$missing"
# every shipped Telegraf file and unit is in both packages
shipped=$(cd "$src" && { ls plugin/telegraf/*.conf plugin/telegraf/systemd/*.conf | sed 's|^plugin/|/usr/share/influx-token-helper/|'
  ls packaging/systemd/* | sed 's|^packaging/systemd/|/usr/lib/systemd/system/|'; })
missing=""
for f in $shipped; do grep -qx "$f" rpm-files.txt && grep -qx "$f" deb-files.txt || missing="$missing $f"; done
check "both packages hold every fragment, drop-in and unit${missing:+ (missing:$missing)}" test -z "$missing"
rpm -qp --qf '%{SUMMARY}\n%{DESCRIPTION}\n' "$rpm" >rpm-description.txt 2>/dev/null
check "rpm summary and description are the package's own (not CPack's placeholder): $(head -1 rpm-description.txt)" \
  sh -c "grep -qx 'keeps InfluxDB Cloud Dedicated database tokens short-lived and valid' rpm-description.txt &&
    grep -q '^From a configuration of desired scopes' rpm-description.txt && ! grep -qi 'cpack' rpm-description.txt"
dpkg-deb -f "$deb" Description >deb-description.txt
check "deb description is the package's own" sh -c "grep -q 'From a configuration of desired scopes' deb-description.txt"
check "rpm -qpR requires libcurl, json-c, libconfig" sh -c "grep -q '^libcurl' rpm-requires.txt && grep -q '^json-c' rpm-requires.txt && grep -q '^libconfig' rpm-requires.txt"
check "rpm marks helper.conf %config, 0640 root:influx-token-helper" \
  sh -c "rpm -qp --dump '$rpm' 2>/dev/null | grep -qE '^/etc/influx-token-helper/helper.conf .* 0100640 root influx-token-helper 1 '"
check "the man pages render" sh -c "for m in influx-token-helper.1 helper.conf.5 influx-token-helper-admin.8; do zcat '$build/pkg/'\$m.gz | groff -man -Tutf8 -ww -z 2>&1 | (! grep .) || exit 1; done"
check "the admin command parses and answers --help" sh -c "sh -n '$src/packaging/sbin/influx-token-helper-admin' && sh '$src/packaging/sbin/influx-token-helper-admin' --help | grep -q 'LoadCredential='"
check "bash completion loads" bash -n "$src/packaging/completion/influx-token-helper"

if install_wanted; then
  dpkg --purge influx-token-helper >/dev/null 2>&1
  check "dpkg -i installs the .deb" dpkg -i "$deb"
  check "the installed binary runs --version" sh -c "/usr/bin/influx-token-helper --version | grep -q ' $(dpkg-deb -f "$deb" Version)\$'"
  check "system user and private directories exist" sh -c \
    "id influx-token-helper >/dev/null && [ \"\$(stat -c '%a %U' /var/lib/influx-token-helper)\" = '700 influx-token-helper' ] &&
     [ \"\$(stat -c '%a %U:%G' /etc/influx-token-helper/helper.conf)\" = '640 root:influx-token-helper' ]"
  mkdir "$tmp/inst" && cp /usr/lib/systemd/system/influx-token-helper* "$tmp/inst/" && telegraf_unit "$tmp/inst"
  mkdir "$tmp/inst/telegraf.service.d" && cp /usr/share/influx-token-helper/telegraf/systemd/telegraf-influx-token-helper.conf "$tmp/inst/telegraf.service.d/"
  # shellcheck disable=SC2086
  man_check $pages
  check "systemd-analyze verify (--man=$man_opt) passes on the installed units and drop-in" verify_units "$tmp/inst" \
    influx-token-helper.service influx-token-helper.timer influx-token-helper-restart-env@telegraf.path \
    influx-token-helper-restart-cred@telegraf.path influx-token-helper-restart@telegraf.service telegraf.service
  # check and rotate against the emulator, as the service user, with the packaged state dir
  mkdir -p "$tmp/emu" && chmod 0711 "$tmp"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/emu/mgmt"
  account=$(cat /proc/sys/kernel/random/uuid) cluster=$(cat /proc/sys/kernel/random/uuid)
  python3 "$src/tests/emulator.py" --account "$account" --cluster "$cluster" --mgmt-token-file "$tmp/emu/mgmt" \
    --port-file "$tmp/emu/port" </dev/null >/dev/null 2>&1 &
  emu=$!
  for _ in $(seq 100); do [ -s "$tmp/emu/port" ] && break; sleep 0.05; done
  mkdir -m 0700 "$tmp/u"
  install -m 0600 "$tmp/emu/mgmt" "$tmp/u/mgmt"
  cat >"$tmp/u/helper.conf" <<CONF
management = { account_id = "$account"; cluster_id = "$cluster"; token_file = "$tmp/u/mgmt";
  url = "http://127.0.0.1:$(cat "$tmp/emu/port")/api/v0"; };
state_dir = "/var/lib/influx-token-helper";
tokens = ( { name = "pkgtest"; write = [ "sensors" ];
  sinks = ( { type = "file"; path = "/run/influx-token-helper/pkgtest"; mode = "0640"; group = "telegraf"; } ); } );
CONF
  chown -R influx-token-helper: "$tmp/u"
  as_user() { setpriv --reuid=influx-token-helper --regid=influx-token-helper --init-groups "$@"; }
  check "the installed binary passes check against the emulator (as the service user)" \
    as_user /usr/bin/influx-token-helper -c "$tmp/u/helper.conf" check
  check "rotate writes the token file for group telegraf without root" sh -c \
    "setpriv --reuid=influx-token-helper --regid=influx-token-helper --init-groups /usr/bin/influx-token-helper -q -c '$tmp/u/helper.conf' rotate &&
     [ \"\$(stat -c '%a %G' /run/influx-token-helper/pkgtest)\" = '640 telegraf' ]"
  kill "$emu" 2>/dev/null; wait "$emu" 2>/dev/null
  dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' >"$tmp/files"
  check "dpkg --purge removes the package" dpkg --purge influx-token-helper
  left=""
  while read -r f; do [ -e "$f" ] && left="$left $f"; done <"$tmp/files"
  for d in /etc/influx-token-helper /var/lib/influx-token-helper /run/influx-token-helper; do
    [ -e "$d" ] && left="$left $d"
  done
  check "dpkg --purge leaves no files behind${left:+:$left}" test -z "$left"
fi
echo "packages: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
