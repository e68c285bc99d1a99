#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.22 on an air-gapped node (its own network namespace, no route: nothing leaves it):
# containerd's sandbox_image names a registry the node cannot reach, so every pod sandbox fails
# with "failed to get sandbox image ...: failed to pull image ..." (containerd's own resolver error,
# asked with ctr by the kubelet stand-in), while the pause images the node was provisioned with sit
# in containerd's store (imported with ctr from an OCI archive the test builds: one empty layer).
# sandbox-image points containerd at the one the kubelet names (--pod-infra-container-image,
# registry.k8s.io/pause:3.9, not the store's newer 3.10) and restarts containerd; judged by
# containerd itself (config dump, ctr), systemd and the journal. Rollback restores the bytes.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

export LAB_PRIVATE_NETWORK=1
config=/etc/containerd/config.toml
unreachable=registry.invalid/pause:3.9

# the names, without the image IDs (sha256:...) containerd's CRI plugin adds as references
store() { lab_run ctr --namespace k8s.io images ls --quiet 2>/dev/null | grep -v '^sha256:' | sort | tr '\n' ' '; }
dump_sandbox() { lab_run containerd config dump 2>/dev/null | sed -n 's/^ *sandbox_image = //p'; }

lab_setup || exit 1
lab_cni_config || exit 1
sed -i "s|^\( *sandbox_image = \).*|\1\"$unreachable\"|" "$LAB_ROOT$config"
# The address the kubelet reports (no network: the loopback's), so that its status loop does not
# fail for want of a default route (kubelet-wait-online's case, not this one's).
printf 'KUBELET_EXTRA_ARGS=--node-ip=127.0.0.1\n' >"$LAB_ROOT/etc/default/kubelet"
mkdir -p "$LAB_ROOT/etc/kubernetes/manifests"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: lab-static\n  namespace: kube-system\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/pause:3.9\n' \
        >"$LAB_ROOT/etc/kubernetes/manifests/lab-static.yaml"
python3 "$SOURCE_ROOT/tests/lab/pause-archive.py" "$LAB_ROOT/root/pause.tar" || exit 1
lab_boot || exit 1
lab_wait_unit containerd.service active 20
lab_run ctr --namespace k8s.io images import /root/pause.tar >/dev/null 2>&1
ok $? "ctr imports the pause images into containerd's k8s.io namespace"
is "$(store)" "registry.k8s.io/pause:3.9 registry.local:5000/pause:3.10 " "the store has both, and not $unreachable"
is "$(dump_sandbox)" "\"$unreachable\"" "containerd's sandbox image is $unreachable (its own config dump)"
lab_wait_journal kubelet.service "failed to get sandbox image \\\"$unreachable\\\": failed to pull image" 40
ok $? "the broken node: the kubelet's sandbox fails on the pull of $unreachable"
lab_journal kubelet.service | grep -F "Failed to create sandbox for pod" | tail -1 | sed 's/^/# /'

node_findings
is "$DIAG_RC" 1 "diagnose exits 1"
is "$FOUND" sandbox-image "diagnose names sandbox-image, and nothing else"
contains "$DIAG_OUT" "containerd's sandbox image $unreachable ($config) is not in its image store" "evidence: not in the store"
contains "$DIAG_OUT" "pause images in the store: registry.k8s.io/pause:3.9, registry.local:5000/pause:3.10" "with the pause images it holds"
contains "$DIAG_OUT" "the kubelet names registry.k8s.io/pause:3.9" "and the kubelet's image"
contains "$DIAG_OUT" "failed to get sandbox image" "and the kubelet's line"
contains "$DIAG_OUT" "safety:  confirm" "class confirm"

before=$(node_sha256 "$config")
node_remedy plan sandbox-image
is "$RC" 0 "plan exits 0"
contains "$OUT" "-    sandbox_image = \"$unreachable\"" "plan shows the old line going"
contains "$OUT" '+    sandbox_image = "registry.k8s.io/pause:3.9"' "and the kubelet's image, not the store's newer 3.10"
is "$(node_sha256 "$config")" "$before" "plan changed nothing"

invocation=$(lab_unit_prop containerd.service InvocationID)
cp "$LAB_ROOT$config" "$LAB_DIR/config.before"
cursor=$(journal_cursor)
node_remedy apply sandbox-image
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(dump_sandbox)" '"registry.k8s.io/pause:3.9"' "containerd's own config dump reads the new sandbox image"
ok "$([ "$(lab_unit_prop containerd.service InvocationID)" != "$invocation" ]; echo $?)" "containerd was restarted"
contains "$(journal_after "$cursor" containerd.service)" "Start cri plugin" "and its CRI plugin started again"
stays_up containerd.service 3
ok $? "containerd stays up"
is "$(diff "$LAB_DIR/config.before" "$LAB_ROOT$config" | grep -c '^[<>]')" 2 "config.toml differs by that one line only"
cursor=$(journal_cursor)
sleep 12
lacks "$(journal_after "$cursor" kubelet.service)" "failed to get sandbox image" "the kubelet's next sandbox finds its image: no pull failure"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
node_remedy apply sandbox-image
contains "$OUT" "Nothing to do" "a second apply changes and restarts nothing"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 "$config")" "$before" "rollback restored config.toml byte for byte"
is "$(dump_sandbox)" "\"$unreachable\"" "containerd reads $unreachable again"
lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
