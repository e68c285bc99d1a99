#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.3: an upgrade left feature gates the kubelet no longer has, one in --feature-gates
# of kubeadm-flags.env (KubeletCredentialProviders, removed in 1.28, as in aws/eks-anywhere #8984)
# and one in featureGates: of config.yaml (SeccompDefault, removed in 1.28); the lab's kubelet is
# 1.30 and exits with "unrecognized feature gate". kubelet-feature-gates removes both (the gate
# the kubelet still knows stays), restarts it over the bus, verifies it stays up; rollback brings
# the crash loop back.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

flags=/var/lib/kubelet/kubeadm-flags.env
config=/var/lib/kubelet/config.yaml

lab_setup || exit 1
lab_cni_config || exit 1
cat >"$LAB_ROOT$flags" <<'ENV'
KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --feature-gates=KubeletCredentialProviders=true,GracefulNodeShutdown=true"
ENV
printf 'featureGates:\n  SeccompDefault: true\n  GracefulNodeShutdown: true\n' >>"$LAB_ROOT$config"
cp "$LAB_ROOT$config" "$LAB_DIR/config.before"
lab_boot || exit 1

lab_wait_journal kubelet.service "unrecognized feature gate: KubeletCredentialProviders" 20
ok $? "the broken node: the kubelet refuses the removed gate of --feature-gates"
crash_loops kubelet.service
ok $? "the broken node: the kubelet crash-loops"
before=$(node_sha256 $flags $config)
node_findings
is "$FOUND" kubelet-feature-gates "diagnose names kubelet-feature-gates, and nothing else"
contains "$DIAG_OUT" "unrecognized feature gate: KubeletCredentialProviders" "its evidence is the kubelet's log line"

node_remedy plan kubelet-feature-gates
is "$RC" 0 "plan exits 0"
contains "$OUT" "removes featureGates.SeccompDefault from /var/lib/kubelet/config.yaml" \
        "plan also names the gate of config.yaml, which the kubelet has not reached yet (judged by its --version)"
is "$(node_sha256 $flags $config)" "$before" "plan changed no file"

node_remedy apply kubelet-feature-gates
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(cat "$LAB_ROOT$flags")" \
   'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --feature-gates=GracefulNodeShutdown=true"' \
   "kubeadm-flags.env keeps every other flag, gate and byte"
is "$(grep -v SeccompDefault "$LAB_DIR/config.before")" "$(cat "$LAB_ROOT$config")" "config.yaml lost only the SeccompDefault line"
stays_up kubelet.service 4
ok $? "the kubelet stays up after the fix"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
inv=$(lab_unit_prop kubelet.service InvocationID)
lab_run journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID="$inv" >"$LAB_DIR/current-run"
lacks "$(cat "$LAB_DIR/current-run")" "unrecognized feature gate" "the running kubelet's journal has no gate error"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 $flags $config)" "$before" "rollback restored both files byte for byte"
lab_wait_journal kubelet.service "unrecognized feature gate" 10
crash_loops kubelet.service
ok $? "after the rollback the kubelet crash-loops again: the node is as it was"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
