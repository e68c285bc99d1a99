#!/bin/bash
# SPDX-License-Identifier: MIT
# containerd-enable-cri offline: Docker's containerd.io config.toml (disabled_plugins = ["cri"])
# and a version 2 import that disables io.containerd.grpc.v1.cri are named by diagnose with the
# file and line, apply removes exactly those entries (judged by containerd's own config dump of
# the result), a second apply changes nothing, rollback restores the tree.
. "$(dirname "$0")/lib.sh"

docker=$FIXTURES/real-world/containerd/docker-containerd.io-package-containerd.toml
findings() {
        "$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].playbook] | join(" ")'
}

node=$(new_node broken-node)
lacks "$(findings "$node")" containerd-enable-cri "the fixture's containerd has its CRI: not named"

cp "$docker" "$node/etc/containerd/config.toml"
contains "$(findings "$node")" containerd-enable-cri "Docker's file: diagnose names containerd-enable-cri"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" 'containerd'"'"'s CRI plugin is disabled: /etc/containerd/config.toml:15:21: disabled_plugins names "cri"' \
        "with the file, line and entry as evidence"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply containerd-enable-cri
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || echo "# $OUT $ERR"
is "$(diff "$docker" "$node/etc/containerd/config.toml" | grep '^[<>]')" \
        "$(printf '< disabled_plugins = ["cri"]\n> disabled_plugins = []')" "only the disabled_plugins line changed"
if command -v containerd >/dev/null; then
        dump=$(containerd --config "$node/etc/containerd/config.toml" config dump 2>/dev/null)
        contains "$dump" 'disabled_plugins = []' "containerd's dump of the result: no plugin disabled"
        contains "$dump" '[plugins."io.containerd.grpc.v1.cri"]' "and the CRI plugin configured"
fi
lacks "$(findings "$node")" containerd-enable-cri "after apply diagnose no longer names it"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply containerd-enable-cri
contains "$OUT" "Nothing to do" "a second apply changes nothing"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$RC" 0 "rollback exits 0"
is "$(snapshot "$node")" "$before" "rollback restores the tree"

# Version 2, disabled in an import, among other disabled plugins.
node=$(new_node broken-node)
sed -i 's|^imports = \[\]$|imports = ["/etc/containerd/conf.d/*.toml"]|' "$node/etc/containerd/config.toml"
mkdir -p "$node/etc/containerd/conf.d"
printf 'version = 2\ndisabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.grpc.v1.cri"] # no CRI\n' \
        >"$node/etc/containerd/conf.d/10-no-cri.toml"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" '/etc/containerd/conf.d/10-no-cri.toml:2:59: disabled_plugins names "io.containerd.grpc.v1.cri"' \
        "import: diagnose names the import's entry"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply containerd-enable-cri
is "$RC" 0 "import: apply exits 0"
is "$(cat "$node/etc/containerd/conf.d/10-no-cri.toml")" \
        "$(printf 'version = 2\ndisabled_plugins = ["io.containerd.snapshotter.v1.btrfs"] # no CRI')" \
        "import: only the CRI entry is gone, btrfs stays disabled, the comment stays"
run --root="$node" --backup-dir="$WORK/store2" rollback --last
is "$(snapshot "$node")" "$before" "import: rollback restores the tree"

done_testing
