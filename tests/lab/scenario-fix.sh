#!/bin/bash
# SPDX-License-Identifier: MIT
# remedy fix on a node broken two ways at once (an unknown kubelet flag and a cgroup driver
# mismatch): --dry-run shows both playbooks' plans and changes nothing; fix takes the node to
# healthy in one transaction (containerd's playbook first), judged by systemd and diagnose;
# rollback --last undoes both. On the healthy node, fix has nothing to do.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

files=(/var/lib/kubelet/kubeadm-flags.env /etc/containerd/config.toml /var/lib/kubelet/config.yaml)

lab_setup || exit 1
lab_cni_config || exit 1
printf '%s\n' 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --improve-speed"' \
        >"$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
lab_containerd_systemd_cgroup false
lab_boot || exit 1
lab_wait_journal kubelet.service "unknown flag: --improve-speed" 20
crash_loops kubelet.service
ok $? "the broken node: the kubelet crash-loops"
before=$(node_sha256 "${files[@]}")
node_findings
is "$FOUND" "cgroup-driver-systemd kubelet-strip-flags" "diagnose names both playbooks"

node_remedy fix --yes --dry-run
is "$RC" 0 "fix --dry-run exits 0"
contains "$OUT" "cgroup-driver-systemd:" "the plan has cgroup-driver-systemd"
contains "$OUT" "kubelet-strip-flags:" "and kubelet-strip-flags"
contains "$OUT" "Nothing was changed (dry run)" "and changes nothing"
is "$(node_sha256 "${files[@]}")" "$before" "no file changed"
first=$(grep -m1 -oE '^(cgroup-driver-systemd|kubelet-strip-flags):' <<<"$OUT")
is "$first" "cgroup-driver-systemd:" "containerd's playbook comes first"

node_remedy fix --yes
is "$RC" 0 "fix exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
stays_up kubelet.service 4
ok $? "the kubelet stays up: the node is healthy"
node_findings
is "$FOUND" "" "diagnose finds nothing after the fix"
is "$(ls "$LAB_ROOT"/var/lib/remedy/backups/*.json | wc -l)" 1 "one transaction for both fixes"

node_remedy fix --yes
is "$RC" 0 "fix on the healthy node exits 0"
contains "$OUT" "nothing to fix" "and has nothing to fix"

node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 "${files[@]}")" "$before" "rollback restored all three files byte for byte"
crash_loops kubelet.service
ok $? "after the rollback the kubelet crash-loops again"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
