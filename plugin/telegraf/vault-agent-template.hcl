# Vault Agent renders this host's token into the file that the docker-store
# fragments read (telegraf.conf, telegraf-1.34.conf, telegraf-1.27.conf): for
# Telegraf older than 1.37.0, which has no secretstores.vault, in central
# rotation (README "Choosing a mode"). Add it to the Agent's configuration,
# beside its auto_auth (an AppRole of this host, policy conf/vault/host.hcl),
# and replace edge-a with this host's name, as in the rotator's hosts_file.
#
# The KV v2 read path carries /data/ (the store fragments' secret_path does
# not); the field is .Data.data.token. No newline around the token: the file
# must hold the token alone. Create the directory first with group telegraf
# and the setgid bit, so the rendered file is readable by Telegraf:
#   install -d -m 2750 -g telegraf /run/influx-token-helper
# The Agent renders to a temporary file and renames it, and re-reads the
# secret (static secrets: every template_config.static_secret_render_interval,
# 5m by default), so a rotation reaches the file within minutes; the
# rotator's grace must cover that delay (grace >= 10m).
template {
  contents             = "{{ with secret \"secret/data/influxdb/telegraf/edge-a\" }}{{ .Data.data.token }}{{ end }}"
  destination          = "/run/influx-token-helper/telegraf"
  perms                = "0640"
  error_on_missing_key = true
}
