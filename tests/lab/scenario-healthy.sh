#!/bin/bash
# SPDX-License-Identifier: MIT
# A healthy node: remedy diagnose finds nothing and exits 0; plans of every shipped playbook the
# node does not need... are not asked for. Then the node is broken two ways at once (an unknown
# flag and a cgroup driver mismatch): diagnose names exactly those two playbooks.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

lab_setup || exit 1
lab_cni_config || exit 1
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
stays_up kubelet.service 2
ok $? "the healthy node's kubelet runs"
node_findings
is "$FOUND" "" "diagnose: no findings on a healthy node"
is "$DIAG_RC" 0 "diagnose exits 0"
contains "$DIAG_OUT" "No known failure found" "and says so"

# The command line diagnose works out from the unit files and env files is the one systemd ran:
# judged by the running kubelet's own argv (/proc/MAINPID/cmdline).
pid=$(lab_unit_prop kubelet.service MainPID)
# The stand-in is a script: the kernel's argv starts with its interpreter.
running=$(lab_run cat "/proc/$pid/cmdline" | tr '\0' '\n' | tail -n +2)
node_remedy --json diagnose
is "$(jq -r '.kubelet_command_line.argv[]' <<<"$OUT")" "$running" \
        "diagnose's kubelet command line is, word for word, the running kubelet's argv"
is "$(jq -r '[.kubelet_command_line.args[] | select(.accepted != true)] | length' <<<"$OUT")" 0 \
        "every flag accepted, judged by the kubelet's own --help"
lab_teardown

lab_setup || exit 1
lab_cni_config || exit 1
printf '%s\n' 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --improve-speed"' \
        >"$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
lab_containerd_systemd_cgroup false
lab_boot || exit 1
lab_wait_journal kubelet.service "unknown flag: --improve-speed" 20
node_findings
is "$FOUND" "cgroup-driver-systemd kubelet-strip-flags" "broken two ways: diagnose names both playbooks, and only them"
is "$DIAG_RC" 1 "diagnose exits 1"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
