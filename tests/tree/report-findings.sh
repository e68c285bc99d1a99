#!/bin/bash
# SPDX-License-Identifier: MIT
# The report-only playbooks of issue 16 (FAILURES.md B.5, B.11, B.20, B.26) and the journal half
# of kubelet-feature-gates, offline: each is found from the node's files or from its own journal
# (written by systemd-journal-remote, the real journal writer, with the daemons' own lines from
# FAILURES.md), with evidence naming the file and line; none is applied by fix, which changes
# nothing; what cannot be judged from a node's disk (its interfaces' addresses, its cgroup
# hierarchy) is not claimed without the journal line.
. "$(dirname "$0")/lib.sh"

PB=(--playbooks "$PLAYBOOKS")
machine_id=0123456789abcdef0123456789abcdef

journal_line() {   # journal_line NODE UNIT MESSAGE: the node's journal gets one entry of UNIT
        local dir="$1/var/log/journal/$machine_id"
        mkdir -p "$dir"
        printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=1000\n_BOOT_ID=%s\n_SYSTEMD_UNIT=%s\n_SYSTEMD_INVOCATION_ID=%s\n_PID=42\n_UID=0\nMESSAGE=%s\n\n' \
                "$(($(date +%s) - 60))000000" "$machine_id" "$2" 89abcdef0123456789abcdef01234567 "$3" |
                /lib/systemd/systemd-journal-remote -o "$dir/system.journal" - 2>/dev/null
}

# B.5: a kubeconfig passed as --config (kubernetes #121467).
node=$(new_node broken-node)
cp "$node/etc/kubernetes/kubelet.conf" "$node/var/lib/kubelet/config.yaml"
line=$(grep -n '^kind: Config' "$node/var/lib/kubelet/config.yaml" | cut -d: -f1)
run --root="$node" "${PB[@]}" diagnose
contains "$OUT" "kubelet-config-invalid" "B.5: a kubeconfig as --config is found from the files"
contains "$OUT" "/var/lib/kubelet/config.yaml:$line: kind Config is a kubeconfig" "the evidence is FILE:LINE: reason"
contains "$OUT" "fix:     none shipped: report only" "and it is report only"
run --root="$node" "${PB[@]}" --backup-dir="$WORK/store1" fix --yes --set kubelet_version=1.30
lacks "$OUT$ERR" "apply kubelet-config-invalid" "fix does not apply it"
contains "$ERR" "kubelet-config-invalid found, report only" "fix names it as report only"

# B.5: YAML that does not parse, and a wrong kind.
node=$(new_node broken-node)
printf 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: [systemd\n' \
        >"$node/var/lib/kubelet/config.yaml"
run --root="$node" "${PB[@]}" diagnose
contains "$OUT" "kubelet-config-invalid" "B.5: a config that does not parse is a finding"
contains "$OUT" "/var/lib/kubelet/config.yaml:4:1:" "with the line and column libyaml stopped at"
node=$(new_node broken-node)
sed -i 's/^kind: KubeletConfiguration/kind: KubeProxyConfiguration/' "$node/var/lib/kubelet/config.yaml"
run --root="$node" "${PB[@]}" diagnose
contains "$OUT" "kind KubeProxyConfiguration in kubelet.config.k8s.io/v1beta1 is not the kubelet's" "B.5: a wrong kind is a finding"
# The sample node's own valid config is not.
node=$(new_node broken-node)
run --root="$node" "${PB[@]}" diagnose
lacks "$OUT" "kubelet-config-invalid" "B.5: a valid config is not a finding"
# The kubelet's journal line for a missing CA file (CKA notes, FAILURES.md B.5).
journal_line "$node" kubelet.service 'E0827 22:35:53.418423   37845 run.go:72] "command failed" err="failed to construct kubelet dependencies: unable to load client CA file /etc/kubernetes/pki/CA.CERTIFICATE: open /etc/kubernetes/pki/CA.CERTIFICATE: no such file or directory"'
run --root="$node" "${PB[@]}" diagnose
contains "$OUT" "unable to load client CA file /etc/kubernetes/pki/CA.CERTIFICATE" "B.5: the missing CA file from the kubelet's journal"

# B.11: containerd's own load error (containerd PR #7174).
node=$(new_node broken-node)
journal_line "$node" containerd.service "containerd: failed to load TOML: /etc/containerd/config.toml: (27, 47): was expecting token [[, but got table array key cannot contain ']' instead"
run --root="$node" "${PB[@]}" diagnose
contains "$OUT" "containerd-config-invalid" "B.11: containerd's load error is a finding"
contains "$OUT" "/etc/containerd/config.toml: (27, 47)" "whose evidence names the file, line and column"

# B.20: --node-ip=192.0.2.10 in the sample's /etc/default/kubelet; a disk does not say its
# addresses, so only the kubelet's line finds it (talos #8714).
node=$(new_node broken-node)
run --root="$node" "${PB[@]}" diagnose
lacks "$OUT" "kubelet-node-ip" "B.20: offline, --node-ip is not judged from the files"
journal_line "$node" kubelet.service 'E0207 22:23:02.346550 1448143 kubelet_node_status.go:701] "Failed to set some node status fields" err="failed to validate nodeIP: node IP: \"192.0.2.10\" not found in the host'"'"'s network interfaces" node="node01"'
run --root="$node" "${PB[@]}" diagnose
contains "$OUT" "kubelet-node-ip" "B.20: the kubelet's own line is a finding"
contains "$OUT" 'node IP: \"192.0.2.10\" not found' "quoting the address"

# B.26: the hierarchy is the kernel's choice at boot: offline only the line says it (NPD PR #1169).
node=$(new_node broken-node)
run --root="$node" "${PB[@]}" diagnose
lacks "$OUT" "kubelet-cgroup-v1" "B.26: offline, the cgroup hierarchy is not judged"
journal_line "$node" kubelet.service 'E1112 12:19:21.474821    4756 run.go:72] "command failed" err="failed to validate kubelet configuration, error: kubelet is configured to not run on a host using cgroup v1. cgroup v1 support is unsupported and will be removed in a future release, path: &TypeMeta{Kind:,APIVersion:,}"'
run --root="$node" "${PB[@]}" diagnose
contains "$OUT" "kubelet-cgroup-v1" "B.26: the kubelet's own line is a finding"

# B.3 from the journal: a gate the shipped list does not know, named by the kubelet itself.
node=$(new_node broken-node)
printf 'KUBELET_KUBEADM_ARGS="--feature-gates=NotAGateAnyMore=true,GracefulNodeShutdown=true"\n' \
        >"$node/var/lib/kubelet/kubeadm-flags.env"
run --root="$node" "${PB[@]}" plan kubelet-feature-gates --exit-code
is "$RC" 0 "B.3: a gate the list does not have is not removed on the list's word"
journal_line "$node" kubelet.service 'E1107 17:25:55.770885  280524 run.go:74] "command failed" err="failed to set feature gates from initial flags-based config: unrecognized feature gate: NotAGateAnyMore"'
run --root="$node" "${PB[@]}" plan kubelet-feature-gates
contains "$OUT" '+KUBELET_KUBEADM_ARGS="--feature-gates=GracefulNodeShutdown=true"' \
        "B.3: the gate the kubelet's journal names is removed, the other kept"

done_testing
