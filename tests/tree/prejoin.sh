#!/bin/bash
# SPDX-License-Identifier: MIT
# The pre-join check, offline: on a node that has not joined yet (none of the files kubeadm join
# writes exists), diagnose names what join will trip over and stays quiet about the kubelet's
# crash loop, which is normal until then (FAILURES.md B.4). containerd on cgroupfs is found by
# prejoin-cgroup-driver (kubeadm gives the kubelet the systemd driver), fixed in containerd only
# and judged by `containerd config dump`; swap on is found by swap-off; no CNI config by
# cni-placeholder (seed 003). A node that has joined is
# judged by the ordinary playbooks, not the pre-join one.
. "$(dirname "$0")/lib.sh"

prejoin_node() {
        local node
        node=$(new_node broken-node)
        sed -i 's|^/swap.img|#/swap.img|' "$node/etc/fstab"
        sed -i 's| --network-plugin=cni"|"|' "$node/etc/default/kubelet"
        rm -f "$node/var/lib/kubelet/config.yaml" "$node/etc/kubernetes/kubelet.conf" \
                "$node/etc/kubernetes/bootstrap-kubelet.conf" "$node/var/lib/kubelet/kubeadm-flags.env"
        mkdir -p "$node/etc/cni/net.d"
        printf '{"name": "cbr0", "cniVersion": "0.3.1", "plugins": [{"type": "flannel"}]}\n' \
                >"$node/etc/cni/net.d/10-flannel.conflist"
        echo "$node"
}
found() {
        run --root="$1" --playbooks="$PLAYBOOKS" diagnose
        FOUND=$("$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].name] | join(" ")')
}
dump_cgroup() {   # containerd's own reading of the node's config: runc's SystemdCgroup
        containerd --config "$1/etc/containerd/config.toml" config dump 2>/dev/null | grep -c 'SystemdCgroup = true'
}

node=$(prejoin_node)
found "$node"
is "$RC" 1 "before join, containerd on cgroupfs: exit 1"
is "$FOUND" prejoin-cgroup-driver "diagnose names the pre-join cgroup driver, and nothing else (no kubelet crash loop)"
contains "$OUT" "evidence: the node has not joined yet" "saying the node has not joined"
contains "$OUT" "runc (the default, io.containerd.runc.v2): SystemdCgroup" "and which runtime is on cgroupfs"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply prejoin-cgroup-driver
is "$RC" 0 "apply exits 0"
is "$(dump_cgroup "$node")" 1 "containerd config dump: runc on the systemd cgroup driver"
ok "$(test ! -e "$node/var/lib/kubelet/config.yaml"; echo $?)" "the kubelet's configuration is left to join"
found "$node"
is "$FOUND" "" "after the fix nothing is found before join"
is "$RC" 0 "exit 0"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$(snapshot "$node")" "$before" "rollback restores the node"

# Swap stops kubeadm join's preflight ([ERROR Swap]); the kubelet's default failSwapOn is true.
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$node/etc/containerd/config.toml"
sed -i 's|^#/swap.img|/swap.img|' "$node/etc/fstab"
found "$node"
is "$FOUND" swap-off "before join, swap on: swap-off"

# No CNI config for containerd before join: seed 003's race, said before join times out on it.
rm "$node/etc/cni/net.d/10-flannel.conflist"
sed -i 's|^/swap.img|#/swap.img|' "$node/etc/fstab"
found "$node"
is "$FOUND" cni-placeholder "before join, no CNI config: cni-placeholder"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cni-placeholder
is "$RC" 0 "apply exits 0"
is "$(jq -r '.plugins[0].type' "$node/etc/cni/net.d/zz-remedy-placeholder.conflist")" bridge "jq: a bridge placeholder"
found "$node"
is "$FOUND" "" "then nothing is found before join"

# Joined: the ordinary playbooks judge it (both on cgroupfs here is consistent: nothing found).
node=$(new_node broken-node)
sed -i 's|^/swap.img|#/swap.img|' "$node/etc/fstab"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
lacks "$(jq -r '[.findings[].name] | join(" ")' <<<"$OUT")" prejoin "a joined node: no pre-join finding"
done_testing
