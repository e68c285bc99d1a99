#!/bin/bash
# SPDX-License-Identifier: MIT
# cri-endpoint offline: a joined node whose kubelet endpoint names a socket that is not
# containerd's (kubeadm-flags.env, or containerRuntimeEndpoint in config.yaml), and one whose
# containerd.service is disabled, are named by diagnose; apply points the kubelet at containerd's
# effective grpc address (an import's included), in the place that sets it, every other byte kept,
# and enables containerd (judged by systemctl --root); rollback restores the tree.
. "$(dirname "$0")/lib.sh"

findings() {
        "$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].playbook] | join(" ")'
}
flags=var/lib/kubelet/kubeadm-flags.env
# The sample node with Debian's containerd.service, enabled.
containerd_node() {
        local n
        n=$(new_node broken-node)
        cat >"$n/lib/systemd/system/containerd.service" <<'UNIT'
[Unit]
Description=containerd container runtime
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
        ln -s /lib/systemd/system/containerd.service "$n/etc/systemd/system/multi-user.target.wants/containerd.service"
        echo "$n"
}

node=$(containerd_node)
lacks "$(findings "$node")" cri-endpoint "/var/run/containerd/containerd.sock is containerd's socket (/var/run is /run): not named"

# The flag names a socket nothing listens on.
sed -i 's|unix:///var/run/containerd/containerd.sock|unix:///var/run/containerd/containerd-old.sock|' "$node/$flags"
contains "$(findings "$node")" cri-endpoint "the flag names another socket: diagnose names cri-endpoint"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "the kubelet's container runtime endpoint unix:///var/run/containerd/containerd-old.sock (--container-runtime-endpoint at /var/lib/kubelet/kubeadm-flags.env:1) names no socket on the node; containerd listens on /run/containerd/containerd.sock (/etc/containerd/config.toml)" \
        "with both sides as evidence"
before=$(snapshot "$node")
orig=$(cat "$node/$flags")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store1" apply cri-endpoint
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || echo "# $OUT $ERR"
is "$(cat "$node/$flags")" "${orig/unix:\/\/\/var\/run\/containerd\/containerd-old.sock/unix:///run/containerd/containerd.sock}" \
        "the flag's value is containerd's socket, every other byte kept"
lacks "$(findings "$node")" cri-endpoint "after apply diagnose no longer names it"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store1" apply cri-endpoint
contains "$OUT" "Nothing to do" "a second apply changes nothing"
run --root="$node" --backup-dir="$WORK/store1" rollback --last
is "$RC" 0 "rollback exits 0"
is "$(snapshot "$node")" "$before" "rollback restores the tree"

# containerd listens elsewhere (an import sets [grpc] address); the kubelet's config.yaml names the
# default and no flag overrides it.
node=$(containerd_node)
sed -i 's|--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock ||' "$node/$flags"
sed -i 's|^imports = \[\]$|imports = ["/etc/containerd/conf.d/*.toml"]|' "$node/etc/containerd/config.toml"
mkdir -p "$node/etc/containerd/conf.d"
printf 'version = 2\n[grpc]\n  address = "/run/k8s/containerd.sock"\n' >"$node/etc/containerd/conf.d/50-grpc.toml"
sed -i 's|^containerRuntimeEndpoint: .*|containerRuntimeEndpoint: unix:///run/containerd/containerd.sock|' "$node/var/lib/kubelet/config.yaml"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "containerd listens on /run/k8s/containerd.sock (/etc/containerd/conf.d/50-grpc.toml)" \
        "an import's address: diagnose names it"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply cri-endpoint
is "$RC" 0 "config.yaml: apply exits 0"
is "$(grep '^containerRuntimeEndpoint' "$node/var/lib/kubelet/config.yaml")" "containerRuntimeEndpoint: unix:///run/k8s/containerd.sock" \
        "config.yaml: containerRuntimeEndpoint is containerd's socket"
run --root="$node" --backup-dir="$WORK/store2" rollback --last
is "$(snapshot "$node")" "$before" "config.yaml: rollback restores the tree"

# containerd disabled.
node=$(containerd_node)
rm "$node/etc/systemd/system/multi-user.target.wants/containerd.service"
contains "$(findings "$node")" cri-endpoint "containerd disabled: diagnose names cri-endpoint"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store3" apply cri-endpoint
is "$RC" 0 "containerd disabled: apply exits 0"
is "$(systemctl --root="$node" is-enabled containerd.service 2>&1)" enabled "containerd disabled: systemctl --root says enabled after apply"
run --root="$node" --backup-dir="$WORK/store3" rollback --last
is "$(snapshot "$node")" "$before" "containerd disabled: rollback restores the tree"

# Before join: not a case.
node=$(containerd_node)
sed -i 's|unix:///var/run/containerd/containerd.sock|unix:///run/nothing.sock|' "$node/$flags"
rm "$node/etc/kubernetes/kubelet.conf" "$node/var/lib/kubelet/config.yaml"
lacks "$(findings "$node")" cri-endpoint "a node before join: not named"

# CRI-O's socket on purpose: not a case.
node=$(containerd_node)
sed -i 's|unix:///var/run/containerd/containerd.sock|unix:///var/run/crio/crio.sock|' "$node/$flags"
lacks "$(findings "$node")" cri-endpoint "an endpoint naming CRI-O's socket: not named"

done_testing
