#!/bin/bash
# SPDX-License-Identifier: MIT
# The second sample node: containerd 2.x with a version-3 config that lacks SystemdCgroup (as
# containerd 2.0.0-2.0.6 defaults do), a merged /usr (/lib -> usr/lib), kubelet 1.35 (which
# rejects --pod-infra-container-image) and a quoted cgroupDriver. Python's tomllib, an
# independent TOML reader, judges the containerd edit (containerd 1.6 cannot load version 3).
. "$(dirname "$0")/lib.sh"

node=$(new_node broken-node-v3)
store="$WORK/store"
before=$(snapshot "$node")
playbooks=(cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online)

toml_get() {   # toml_get FILE PYTHON-SUBSCRIPT
        python3 -c "import sys, tomllib; d = tomllib.load(open(sys.argv[1], 'rb')); print(repr(d$2))" "$1"
}

run --root="$node" --playbooks="$PLAYBOOKS" plan "${playbooks[@]}"
is "$RC" 0 "plan exits 0"
contains "$OUT" "+            SystemdCgroup = true" "SystemdCgroup inserted under the version-3 runc options table"
contains "$OUT" "--pod-infra-container-image" "the flag kubelet 1.35 rejects is removed"
contains "$OUT" '+cgroupDriver: "systemd"' "the quoted cgroupDriver keeps its quotes"
contains "$OUT" "/lib/systemd/system/systemd-networkd-wait-online.service" "wait-online found through the /lib symlink"
is "$(snapshot "$node")" "$before" "plan changed nothing"

opts="['plugins']['io.containerd.cri.v1.runtime']['containerd']['runtimes']['runc']['options']"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply "${playbooks[@]}"
is "$RC" 0 "apply exits 0"
contains "$OUT" "verify file" "verification ran"
is "$(toml_get "$node/etc/containerd/config.toml" "$opts['SystemdCgroup']")" "True" "tomllib: SystemdCgroup = true in the v3 table"
python3 - "$node/etc/containerd/config.toml" "$FIXTURES/nodes/broken-node-v3/etc/containerd/config.toml" <<'PY'
import sys, tomllib
after = tomllib.load(open(sys.argv[1], "rb"))
before = tomllib.load(open(sys.argv[2], "rb"))
after["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"]["options"].pop("SystemdCgroup")
sys.exit(0 if after == before else 1)
PY
ok $? "tomllib: no other value of the config changed"
is "$(systemctl --root="$node" is-enabled systemd-networkd-wait-online.service 2>&1)" "enabled" "systemctl --root: wait-online enabled"
test -L "$node/lib"; ok $? "/lib is still a symlink (nothing written through it as a directory)"

run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code "${playbooks[@]}"
is "$RC" 0 "nothing left to do"
run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback"
is "$(snapshot "$node")" "$before" "rollback restored the tree identically"
done_testing
