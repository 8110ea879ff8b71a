#!/bin/sh
# One-shot: joins the six Redis nodes of deploy/compose/docker-compose.yml into a cluster of 3
# masters with one replica each. Does nothing when the cluster already exists (a restart of the
# compose project keeps nodes.conf in each node's volume).
#   REDIS_NODES  space- or comma-separated host:port list (the same nodes as REDIS_CLUSTER_NODES)
set -eu

nodes=$(echo "${REDIS_NODES:?REDIS_NODES must be set}" | tr ',' ' ')
first=${nodes%% *}

for node in $nodes; do
  tries=0
  until redis-cli -h "${node%:*}" -p "${node#*:}" ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 120 ]; then
      echo "cluster-create: $node does not answer" >&2
      exit 1
    fi
    echo "cluster-create: waiting for $node"
    sleep 1
  done
done

if redis-cli -h "${first%:*}" -p "${first#*:}" cluster info | grep -q '^cluster_state:ok'; then
  echo "cluster-create: the cluster already exists"
  exit 0
fi

# redis-cli --cluster wants addresses: resolve the service names.
addresses=""
for node in $nodes; do
  ip=$(getent hosts "${node%:*}" | awk '{ print $1; exit }')
  [ -n "$ip" ] || { echo "cluster-create: cannot resolve ${node%:*}" >&2; exit 1; }
  addresses="$addresses $ip:${node#*:}"
done

# shellcheck disable=SC2086
redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes

# Ready when every node sees the slots covered and every replica attached to its master (the
# replicas are assigned just after the slots: a node can still call itself a master for a moment).
count=$(echo "$nodes" | wc -w)
replicas=$((count / 2))
ready=no
for _ in $(seq 1 120); do
  ready=yes
  for node in $nodes; do
    info=$(redis-cli -h "${node%:*}" -p "${node#*:}" cluster info)
    seen=$(redis-cli -h "${node%:*}" -p "${node#*:}" cluster nodes | grep -c 'slave' || true)
    if ! echo "$info" | grep -q '^cluster_state:ok' || [ "$seen" -ne "$replicas" ]; then
      ready=no
      break
    fi
  done
  [ "$ready" = yes ] && break
  echo "cluster-create: waiting for every node to see $replicas replicas and cluster_state:ok"
  sleep 1
done
if [ "$ready" != yes ]; then
  echo "cluster-create: the cluster did not settle" >&2
  exit 1
fi
echo "cluster-create: cluster ready"
