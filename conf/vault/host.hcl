# Vault policy of one Telegraf host: read its own token and nothing else (no list, no
# metadata, no other host's path). One policy and one AppRole per host, made from this file
# with the host's name for <host>, as in the rotator's hosts file (README "Choosing a mode"):
#   sed 's/<host>/edge-a/' conf/vault/host.hcl | vault policy write telegraf-edge-a -
# Telegraf's secretstores.vault reads secret_path "influxdb/telegraf/<host>" under mount_path
# "secret"; its KV v2 client reads the data path below.
path "secret/data/influxdb/telegraf/<host>" {
  capabilities = ["read"]
}
