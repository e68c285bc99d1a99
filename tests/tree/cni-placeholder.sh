#!/bin/bash
# SPDX-License-Identifier: MIT
# cni-placeholder offline: the placeholder is written into an empty conf dir, left alone while it
# is the only config, and removed once a real CNI config sits beside it. Restarts are planned only
# when something changed (changed: true), so a fixed node plans nothing at all.
. "$(dirname "$0")/lib.sh"

node=$(new_node broken-node)
placeholder=etc/cni/net.d/zz-remedy-placeholder.conflist
rm -f "$node"/etc/cni/net.d/*

run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cni-placeholder
is "$RC" 0 "apply into an empty conf dir exits 0"
ok "$( [ -f "$node/$placeholder" ]; echo $?)" "the placeholder is written"
run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code cni-placeholder
is "$RC" 0 "a second plan has nothing to change (exit 0 with --exit-code)"
contains "$OUT" "Plan: 0 to change" "the restart is not planned again either"

# The real CNI arrives (Flannel's DaemonSet writes its config).
printf '{"name": "cbr0", "cniVersion": "0.3.1", "plugins": [{"type": "flannel"}]}\n' >"$node/etc/cni/net.d/10-flannel.conflist"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" plan cni-placeholder
contains "$OUT" "remove /$placeholder" "with a real config beside it, the plan removes the placeholder"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cni-placeholder
is "$RC" 0 "apply exits 0"
ok "$( [ ! -e "$node/$placeholder" ] && [ -f "$node/etc/cni/net.d/10-flannel.conflist" ]; echo $?)" \
        "the placeholder is gone, the real config stays"
run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code cni-placeholder
is "$RC" 0 "then nothing is left to change"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$(snapshot "$node")" "$before" "rollback puts the placeholder back"

# containerd reads its CNI configs from the conf_dir of its effective configuration: an import
# (a vendor drop-in) can move it. The placeholder goes where containerd will look, and --set wins.
node=$(new_node broken-node)
rm -f "$node"/etc/cni/net.d/*
sed -i 's|^imports = \[\]|imports = ["/etc/containerd/conf.d/*.toml"]|' "$node/etc/containerd/config.toml"
mkdir -p "$node/etc/containerd/conf.d" "$node/etc/cni/vendor.d"
cat >"$node/etc/containerd/conf.d/10-vendor.toml" <<'TOML'
version = 2
[plugins."io.containerd.grpc.v1.cri".cni]
  conf_dir = "/etc/cni/vendor.d"
  bin_dir = "/opt/cni/bin"
TOML
run --root="$node" --playbooks="$PLAYBOOKS" plan cni-placeholder
contains "$OUT" "/etc/cni/vendor.d/zz-remedy-placeholder.conflist" "the placeholder is planned in the conf_dir the import sets"
lacks "$OUT" "/etc/cni/net.d/zz-remedy-placeholder.conflist" "not in the default one"
run --root="$node" --playbooks="$PLAYBOOKS" --set conf_dir=/etc/cni/net.d plan cni-placeholder
contains "$OUT" "/etc/cni/net.d/zz-remedy-placeholder.conflist" "--set conf_dir wins over the node's"
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".cni\n' >"$node/etc/containerd/conf.d/10-vendor.toml"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" plan cni-placeholder
is "$RC" 2 "an import that does not parse: exit 2"
contains "$ERR" "/etc/containerd/conf.d/10-vendor.toml:2:" "naming the file and line"
is "$(snapshot "$node")" "$before" "nothing changed"

# The placeholder's plugins must be in containerd's bin_dir, or every pod sandbox fails.
node=$(new_node broken-node)
rm -f "$node"/etc/cni/net.d/* "$node/opt/cni/bin/bridge"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-bin" apply cni-placeholder
is "$RC" 1 "without the bridge plugin: verify fails, exit 1"
contains "$OUT" "names plugin 'bridge', but /opt/cni/bin/bridge is missing" "saying which plugin is missing where"
is "$(snapshot "$node")" "$before" "and the placeholder is rolled back"

done_testing
