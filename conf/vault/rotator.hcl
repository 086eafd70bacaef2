# Vault policy of the central rotator (conf/helper-central.conf: vault sink, mount "secret",
# path "influxdb/telegraf/{{host}}"). KV v2 splits a secret into data and metadata paths:
# the rotator reads the current version and writes the next one with check-and-set (data),
# reads and writes its ownership marker in custom_metadata (metadata), and deletes every
# version of a host's secret on `revoke` or when the host leaves the hosts file (DELETE on
# metadata). "+" is one path segment: one host. Nothing else under the mount.
#   vault policy write influx-token-rotator conf/vault/rotator.hcl
path "secret/data/influxdb/telegraf/+" {
  capabilities = ["create", "update", "read"]
}

path "secret/metadata/influxdb/telegraf/+" {
  capabilities = ["create", "update", "read", "delete"]
}
