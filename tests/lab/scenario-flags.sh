#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 004: kubeadm-flags.env carries a flag the kubelet does not know (--improve-speed) and
# KUBELET_EXTRA_ARGS one this kubelet no longer has; the kubelet exits with "failed to parse
# kubelet flag: unknown flag" and crash-loops. kubelet-strip-flags asks the installed kubelet's
# --help which flags it has, removes the others, restarts it over the bus and verifies it stays up.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

flags=/var/lib/kubelet/kubeadm-flags.env
extra=/etc/default/kubelet

lab_setup || exit 1
lab_cni_config || exit 1
cat >"$LAB_ROOT$flags" <<'ENV'
KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --improve-speed --pod-infra-container-image=registry.k8s.io/pause:3.9"
ENV
# --container-runtime was removed in 1.27; the lab's kubelet is 1.30.
printf 'KUBELET_EXTRA_ARGS="--container-runtime=remote --v=2"\n' >"$LAB_ROOT$extra"
lab_boot || exit 1

lab_wait_journal kubelet.service "unknown flag: --improve-speed" 20
ok $? "the broken node: the kubelet refuses --improve-speed"
crash_loops kubelet.service
ok $? "the broken node: the kubelet crash-loops"
before=$(node_sha256 $flags $extra)
node_findings
is "$FOUND" kubelet-strip-flags "diagnose names kubelet-strip-flags, and nothing else"
is "$DIAG_RC" 1 "diagnose exits 1: something was found"
contains "$DIAG_OUT" "unknown flag: --improve-speed" "its evidence is the kubelet's log line"

node_remedy plan kubelet-strip-flags
is "$RC" 0 "plan exits 0"
contains "$OUT" "-KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --improve-speed" \
        "plan shows the line with --improve-speed going"
is "$(node_sha256 $flags $extra)" "$before" "plan changed no file"

cursor=$(journal_cursor)
node_remedy apply kubelet-strip-flags
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(cat "$LAB_ROOT$flags")" \
   'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"' \
   "kubeadm-flags.env keeps every other flag and byte"
is "$(cat "$LAB_ROOT$extra")" 'KUBELET_EXTRA_ARGS="--v=2"' "KUBELET_EXTRA_ARGS lost only --container-runtime"
stays_up kubelet.service 4
ok $? "the kubelet stays up after the fix"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing: the old error lines are of an earlier run"
is "$DIAG_RC" 0 "diagnose exits 0"
inv=$(lab_unit_prop kubelet.service InvocationID)
lab_run journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv" >"$LAB_DIR/current-run"
lacks "$(cat "$LAB_DIR/current-run")" "failed to parse kubelet flag" "the running kubelet's journal has no flag error"
pid=$(lab_unit_prop kubelet.service MainPID)
cmdline=$(lab_run cat "/proc/$pid/cmdline" | tr '\0' ' ')
contains "$cmdline" "--v=2" "the running kubelet got the flags that remained (its command line)"
lacks "$cmdline" "--improve-speed" "and not --improve-speed"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 $flags $extra)" "$before" "rollback restored both files byte for byte"
lab_wait_journal kubelet.service "unknown flag: --improve-speed" 10
crash_loops kubelet.service
ok $? "after the rollback the kubelet crash-loops again: the node is as it was"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
