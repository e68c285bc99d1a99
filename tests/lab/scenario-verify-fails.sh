#!/bin/bash
# SPDX-License-Identifier: MIT
# A playbook whose verification fails is rolled back. The node is broken two ways: an unknown
# kubelet flag and a cgroup driver mismatch. kubelet-strip-flags fixes the first, restarts the
# kubelet, which then fails on the second: the stable-window check sees it crash-loop, remedy
# prints the evidence, rolls everything back and exits 1. With --no-rollback the change stays.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

flags=/var/lib/kubelet/kubeadm-flags.env

lab_setup || exit 1
lab_cni_config || exit 1
cat >"$LAB_ROOT$flags" <<'ENV'
KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --improve-speed"
ENV
lab_containerd_systemd_cgroup false
lab_kubelet_config_set cgroupDriver systemd
lab_boot || exit 1
lab_wait_journal kubelet.service "unknown flag: --improve-speed" 20
ok $? "the broken node: the kubelet refuses --improve-speed"
before=$(node_sha256 $flags /etc/default/kubelet)

node_remedy apply kubelet-strip-flags
is "$RC" 1 "apply exits 1: verification failed"
contains "$OUT" "FAILED  verify unit: kubelet.service" "the report names the failed check"
ok "$(grep -qE 'did not stay up|is (activating|failed|inactive)' <<<"$OUT"; echo $?)" "with the evidence systemd gave"
contains "$OUT" "was rolled back; the node is as it was" "the report says the transaction was rolled back"
is "$(node_sha256 $flags /etc/default/kubelet)" "$before" "kubeadm-flags.env is back byte for byte"
is "$(last_txn_state)" rolled-back "the manifest says rolled-back"
cursor=$(journal_cursor)
wait_journal_after "$cursor" kubelet.service "unknown flag: --improve-speed" 15
ok $? "the restored kubelet fails on the restored flag again (it was restarted on its old configuration)"

node_remedy apply --no-rollback kubelet-strip-flags
is "$RC" 1 "--no-rollback: apply still exits 1"
contains "$OUT" "verification failed; the changes were kept (--no-rollback)" "and says the changes were kept"
lacks "$(cat "$LAB_ROOT$flags")" "--improve-speed" "the flag stays removed"
is "$(last_txn_state)" applied "the transaction stays applied, for a later rollback"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
