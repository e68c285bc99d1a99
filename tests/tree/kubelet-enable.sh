#!/bin/bash
# SPDX-License-Identifier: MIT
# kubelet-enable offline: a joined node whose kubelet.service is disabled or masked is named by
# diagnose, and apply makes the links `systemctl --root enable` / `unmask` make (judged by
# systemctl --root itself); rollback restores the tree. A node before join, or one whose kubelet is
# enabled, is not a kubelet-enable case.
. "$(dirname "$0")/lib.sh"

wants=etc/systemd/system/multi-user.target.wants/kubelet.service
findings() {   # findings ROOT: the playbooks diagnose names
        "$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].playbook] | join(" ")'
}

# Enabled, as the fixture is: not a case.
node=$(new_node broken-node)
lacks "$(findings "$node")" kubelet-enable "an enabled kubelet: diagnose does not name kubelet-enable"

# Disabled.
node=$(new_node broken-node)
rm "$node/$wants"
is "$(systemctl --root="$node" is-enabled kubelet.service 2>&1)" disabled "the broken node: systemctl --root says disabled"
contains "$(findings "$node")" kubelet-enable "a disabled kubelet: diagnose names kubelet-enable"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "kubelet.service is not enabled in the node's unit files" "with the unit's state as evidence"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-enable
is "$RC" 0 "plan exits 0"
contains "$OUT" "symlink /$wants → /lib/systemd/system/kubelet.service" "plan shows the link enable makes"
is "$(snapshot "$node")" "$before" "plan changed nothing"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-disabled" apply kubelet-enable
is "$RC" 0 "apply exits 0"
is "$(systemctl --root="$node" is-enabled kubelet.service 2>&1)" enabled "after apply systemctl --root says enabled"
lacks "$(findings "$node")" kubelet-enable "after apply diagnose no longer names kubelet-enable"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-disabled" apply kubelet-enable
contains "$OUT" "Nothing to do" "a second apply changes nothing"
run --root="$node" --backup-dir="$WORK/store-disabled" rollback --last
is "$RC" 0 "rollback exits 0"
is "$(snapshot "$node")" "$before" "rollback restores the tree"
is "$(systemctl --root="$node" is-enabled kubelet.service 2>&1)" disabled "and the kubelet is disabled again"

# Masked (and enabled underneath: masking wins).
node=$(new_node broken-node)
ln -s /dev/null "$node/etc/systemd/system/kubelet.service"
is "$(systemctl --root="$node" is-enabled kubelet.service 2>&1)" masked "the masked node: systemctl --root says masked"
contains "$(findings "$node")" kubelet-enable "a masked kubelet: diagnose names kubelet-enable"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-masked" apply kubelet-enable
is "$RC" 0 "masked: apply exits 0"
[ "$RC" -eq 0 ] || echo "# $OUT $ERR"
is "$(systemctl --root="$node" is-enabled kubelet.service 2>&1)" enabled "masked: after apply systemctl --root says enabled"
[ ! -L "$node/etc/systemd/system/kubelet.service" ]
ok $? "masked: the /dev/null link is gone"
run --root="$node" --backup-dir="$WORK/store-masked" rollback --last
is "$RC" 0 "masked: rollback exits 0"
is "$(snapshot "$node")" "$before" "masked: rollback restores the tree, the mask included"

# Before join: no kubelet.conf, no config.yaml. Disabled there is not a kubelet-enable case.
node=$(new_node broken-node)
rm "$node/$wants" "$node/etc/kubernetes/kubelet.conf" "$node/var/lib/kubelet/config.yaml"
lacks "$(findings "$node")" kubelet-enable "a node before join with a disabled kubelet: not named"

# No kubelet installed at all: not a case either.
node=$(new_node broken-node)
rm -r "$node/$wants" "$node/lib/systemd/system/kubelet.service" "$node/lib/systemd/system/kubelet.service.d"
lacks "$(findings "$node")" kubelet-enable "a node without kubelet.service: not named"

done_testing
