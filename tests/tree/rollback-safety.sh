#!/bin/bash
# SPDX-License-Identifier: MIT
# Rollback loses nothing and never crashes: a transaction with directories at the top of the
# root rolls back (it once crashed in the root's canonicalisation of "/"), automatically when
# verification fails and by hand.
. "$(dirname "$0")/lib.sh"

# ---- Directories at the top of the root ----
node=$(new_node broken-node)
before=$(snapshot "$node")
store="$WORK/store-top"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cni-placeholder --set conf_dir=/newtop/net.d
is "$RC" 0 "apply with a conf_dir at the top of the root"
test -f "$node/newtop/net.d/zz-remedy-placeholder.conflist"; ok $? "the conflist was written under /newtop"
run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback of a transaction that created /newtop exits 0"
is "$(snapshot "$node")" "$before" "the node is as before: /newtop is gone"

# Verification fails (no bridge plugin): the automatic rollback must remove /newtop too.
node=$(new_node broken-node)
rm "$node/opt/cni/bin/bridge"
before=$(snapshot "$node")
store="$WORK/store-top-verify"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cni-placeholder --set conf_dir=/newtop/net.d
is "$RC" 1 "apply whose verification fails exits 1"
contains "$OUT" "rolled back" "it says it rolled back"
is "$(snapshot "$node")" "$before" "the automatic rollback restored the node: /newtop is gone"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-strip-flags
is "$RC" 0 "the next apply is not blocked"

done_testing
