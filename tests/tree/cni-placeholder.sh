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

done_testing
