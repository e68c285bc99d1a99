#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 001: the node's kubelet client certificate expired (rotation failed while the node was
# off) and bootstrap-kubelet.conf is long gone: the kubelet logs "part of the existing bootstrap
# client certificate in /etc/kubernetes/kubelet.conf is expired" and crash-loops. The operator
# makes a new kubeconfig with the cluster's CA (as `kubeadm kubeconfig user` does) and copies it
# to the node; kubelet-rotate-kubeconfig checks it, installs it, removes the expired certificate
# files, restarts the kubelet over the bus and verifies it stays up. Rollback brings the expired
# configuration and the crash loop back; a kubeconfig for another node is refused untouched.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

conf=/etc/kubernetes/kubelet.conf
pki=/var/lib/kubelet/pki

lab_setup || exit 1
lab_cni_config || exit 1
lab_kubelet_cert "$(date -u -d '-400 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '-35 days' +%Y%m%d%H%M%SZ)" || exit 1
mkdir -p -m 0700 "$LAB_ROOT/root"
lab_node_kubeconfig "$LAB_ROOT/root/$LAB_NODE_NAME.conf" "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
        "$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)" || exit 1
lab_node_kubeconfig "$LAB_ROOT/root/lab-node02.conf" "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
        "$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)" system:node:lab-node02 || exit 1
lab_boot || exit 1

lab_wait_journal kubelet.service "is expired" 20
ok $? "the broken node: the kubelet says its client certificate is expired"
contains "$(lab_journal kubelet.service)" "in /etc/kubernetes/kubelet.conf is expired" "in the kubelet's own words"
crash_loops kubelet.service
ok $? "the broken node: the kubelet crash-loops"
node_findings
is "$FOUND" kubelet-rotate-kubeconfig "diagnose names kubelet-rotate-kubeconfig, and nothing else"
contains "$DIAG_OUT" "--set kubeconfig=..." "its fix command asks for the new kubeconfig"
pki_files() { (cd "$LAB_ROOT$pki" && ls -A | sed "s|^|$pki/|"); }
# node_sha256 with symlinks as their targets: kubelet-client-current.pem points at an absolute node
# path, which the host cannot follow.
node_state() {
        local p
        for p in "$@"; do
                if [ -L "$LAB_ROOT$p" ]; then echo "$p -> $(readlink "$LAB_ROOT$p")"; else node_sha256 "$p"; fi
        done
}
old_pki=$(pki_files)
before=$(node_state $conf $old_pki)
contains "$before" "$pki/kubelet-client-current.pem -> $pki/kubelet-client-" "the expired certificate files are there"

node_remedy plan kubelet-rotate-kubeconfig --set "kubeconfig=/root/$LAB_NODE_NAME.conf"
is "$RC" 0 "plan exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
contains "$OUT" "client certificate for system:node:$LAB_NODE_NAME, valid until" "plan says what it validated"
contains "$OUT" "signed by CN=kubernetes" "and by which CA"
contains "$OUT" "restart" "plan restarts the kubelet"
is "$(node_state $conf $old_pki)" "$before" "plan changed no file"

cursor=$(journal_cursor)
node_remedy apply kubelet-rotate-kubeconfig --set "kubeconfig=/root/$LAB_NODE_NAME.conf"
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(sha256sum <"$LAB_ROOT$conf")" "$(sha256sum <"$LAB_ROOT/root/$LAB_NODE_NAME.conf")" \
   "kubelet.conf is the new kubeconfig byte for byte"
is "$(stat -c '%a %u %g' "$LAB_ROOT$conf")" "600 0 0" "kubelet.conf is 0600 root:root"
is "$(ls -A "$LAB_ROOT$pki" | grep -c '^kubelet-client')" 0 "the expired kubelet-client* files are gone"
stays_up kubelet.service 4
ok $? "the kubelet stays up (systemd: active, NRestarts and invocation unchanged)"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
inv=$(lab_unit_prop kubelet.service InvocationID)
lab_run journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv" >"$LAB_DIR/current-run"
lacks "$(cat "$LAB_DIR/current-run")" "is expired" "the running kubelet's journal has no expiry error"
contains "$(cat "$LAB_DIR/current-run")" "Started kubelet" "the running kubelet started"
is "$(last_txn_state)" applied "the transaction is applied"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(node_state $conf $old_pki)" "$before" "rollback restored kubelet.conf and the certificate files byte for byte"
cursor=$(journal_cursor)
wait_journal_after "$cursor" kubelet.service "is expired" 15
ok $? "after the rollback the kubelet finds its certificate expired again"
crash_loops kubelet.service
ok $? "and crash-loops: the node is as it was"

# A kubeconfig made for another node: refused in plan, nothing touched, no transaction.
n_txn=$(ls "$LAB_ROOT"/var/lib/remedy/backups/*.json | wc -l)
node_remedy apply kubelet-rotate-kubeconfig --set kubeconfig=/root/lab-node02.conf
is "$RC" 2 "another node's kubeconfig: exit status 2"
contains "$ERR" "/root/lab-node02.conf: the client certificate is for 'system:node:lab-node02', not 'system:node:$LAB_NODE_NAME'" \
        "the error names the file and says why"
is "$(grep -c . <<<"$ERR")" 1 "in one line"
is "$(node_state $conf $old_pki)" "$before" "nothing changed"
is "$(ls "$LAB_ROOT"/var/lib/remedy/backups/*.json | wc -l)" "$n_txn" "no transaction was made"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
