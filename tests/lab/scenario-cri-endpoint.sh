#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.10: the kubelet's --container-runtime-endpoint (kubeadm-flags.env) names a socket
# that does not exist while containerd listens on its own; then containerd disabled and stopped by
# hand. Either way the kubelet's "validate service connection" gets "code = Unavailable" and it
# crash-loops. cri-endpoint points the flag at containerd's socket in place, or enables and starts
# containerd, and restarts the kubelet; rollback restores the bytes, the unit states and the crash
# loop. Judged through systemd and the journal.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

flags=/var/lib/kubelet/kubeadm-flags.env
lab_setup || exit 1
lab_cni_config || exit 1
sed -i 's|unix:///var/run/containerd/containerd.sock|unix:///var/run/containerd/containerd-1.5.sock|' "$LAB_ROOT$flags"
lab_boot || exit 1

files=("$flags")
lab_wait_journal kubelet.service "code = Unavailable" 25
ok $? "wrong endpoint: the kubelet says the runtime is unavailable"
crash_loops kubelet.service
ok $? "wrong endpoint: the kubelet crash-loops"
is "$(lab_unit_prop containerd.service ActiveState)" active "wrong endpoint: containerd itself runs"
before=$(node_sha256 "${files[@]}")
orig=$(cat "$LAB_ROOT$flags")
node_findings
is "$FOUND" cri-endpoint "wrong endpoint: diagnose names cri-endpoint, and nothing else"
contains "$DIAG_OUT" "containerd-1.5.sock (--container-runtime-endpoint at /var/lib/kubelet/kubeadm-flags.env:1) names no socket on the node" \
        "with the flag and its file as evidence"
node_remedy plan cri-endpoint
is "$RC" 0 "plan exits 0"
contains "$OUT" "+KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock" "plan shows the flag's new value"
is "$(node_sha256 "${files[@]}")" "$before" "plan changed nothing"
cursor=$(journal_cursor)
node_remedy apply cri-endpoint
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(cat "$LAB_ROOT$flags")" "${orig/unix:\/\/\/var\/run\/containerd\/containerd-1.5.sock/unix:///run/containerd/containerd.sock}" \
        "kubeadm-flags.env: only the endpoint's value changed, to containerd's address"
stays_up kubelet.service 4
ok $? "the kubelet stays up"
contains "$(journal_after "$cursor" kubelet.service)" "Container runtime initialized" "the kubelet's journal: the runtime answered"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 "${files[@]}")" "$before" "rollback restored kubeadm-flags.env byte for byte"
lab_run systemctl restart kubelet.service
crash_loops kubelet.service
ok $? "and the kubelet crash-loops again"

# containerd disabled and stopped by hand, the endpoint right.
printf '%s\n' "$orig" | sed 's|containerd-1.5.sock|containerd.sock|' >"$LAB_ROOT$flags"
lab_run systemctl disable --now containerd.service >/dev/null 2>&1
cursor=$(journal_cursor)
lab_run systemctl restart kubelet.service
wait_journal_after "$cursor" kubelet.service "code = Unavailable" 25
ok $? "containerd stopped: the kubelet says the runtime is unavailable"
states_before=$(unit_states containerd.service)
is "$states_before" "containerd.service disabled inactive" "containerd stopped: disabled and inactive"
node_findings
is "$FOUND" cri-endpoint "containerd stopped: diagnose names cri-endpoint, and nothing else"
node_remedy apply cri-endpoint
is "$RC" 0 "containerd stopped: apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(unit_states containerd.service)" "containerd.service enabled active" "containerd is enabled and active"
lab_run systemctl restart kubelet.service
sleep 1
stays_up kubelet.service 4
ok $? "containerd stopped: the kubelet stays up once containerd runs"
node_remedy rollback --last
is "$RC" 0 "containerd stopped: rollback exits 0"
is "$(unit_states containerd.service)" "$states_before" "containerd stopped: rollback puts containerd back disabled and inactive"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
