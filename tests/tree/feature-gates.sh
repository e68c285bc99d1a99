#!/bin/bash
# SPDX-License-Identifier: MIT
# kubelet-feature-gates (FAILURES.md B.3): offline, with the kubelet's version given or read from
# its package, the gates that version no longer recognizes are found in --feature-gates of
# kubeadm-flags.env and in featureGates: of config.yaml, removed (every other byte kept: the other
# gates, the other flags, the other keys), and put back by rollback; gates the kubelet still knows
# stay.
. "$(dirname "$0")/lib.sh"

PB=(--playbooks "$PLAYBOOKS")
node=$(new_node broken-node)
flags=$node/var/lib/kubelet/kubeadm-flags.env
config=$node/var/lib/kubelet/config.yaml
# KubeletCredentialProviders: removed in 1.28 (eks-anywhere #8984); SeccompDefault: in 1.28;
# GracefulNodeShutdown: still a gate. The flag --improve-speed is kubelet-strip-flags' business.
cat > "$flags" <<'ENV'
KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --feature-gates=KubeletCredentialProviders=true,GracefulNodeShutdown=true --node-ip=10.0.0.5"
ENV
cat >> "$config" <<'YAML'
featureGates:
  SeccompDefault: true # on since 1.27
  GracefulNodeShutdown: true
YAML
before=$(snapshot "$node")
cp "$flags" "$WORK/flags.before"; cp "$config" "$WORK/config.before"

run --root="$node" "${PB[@]}" diagnose --set kubelet_version=1.30 2>/dev/null || true
run --root="$node" "${PB[@]}" plan kubelet-feature-gates --set kubelet_version=1.30
is "$RC" 0 "plan succeeds"
contains "$OUT" "KubeletCredentialProviders" "plan names the gate removed from --feature-gates"
contains "$OUT" "featureGates.SeccompDefault" "plan names the gate removed from config.yaml"
is "$(snapshot "$node")" "$before" "plan changes nothing"

run --root="$node" --backup-dir="$WORK/store" "${PB[@]}" apply kubelet-feature-gates --set kubelet_version=1.30
is "$RC" 0 "apply succeeds offline"
is "$(cat "$flags")" 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --feature-gates=GracefulNodeShutdown=true --node-ip=10.0.0.5"' \
        "the gate is cut out of --feature-gates, every other byte kept"
diff <(grep -v 'SeccompDefault' "$WORK/config.before") "$config" >/dev/null
ok $? "config.yaml loses exactly the SeccompDefault line"
python3 -c 'import sys,yaml; d=yaml.safe_load(open(sys.argv[1])); sys.exit(0 if d["featureGates"]=={"GracefulNodeShutdown":True} else 1)' "$config"
ok $? "PyYAML reads featureGates with only the gate the kubelet knows"

run --root="$node" "${PB[@]}" plan kubelet-feature-gates --set kubelet_version=1.30 --exit-code
is "$RC" 0 "nothing left to do after apply"

run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$RC" 0 "rollback succeeds"
is "$(snapshot "$node")" "$before" "rollback restores the node byte for byte"

# A kubelet that still knows the gates (1.27): nothing to remove.
run --root="$node" "${PB[@]}" plan kubelet-feature-gates --set kubelet_version=1.27 --exit-code
is "$RC" 0 "kubelet 1.27 knows KubeletCredentialProviders and SeccompDefault: nothing to do"

# The last gate of featureGates: takes the key with it; the last gate of the flag, the flag.
node2=$(new_node broken-node)
printf 'KUBELET_KUBEADM_ARGS="--feature-gates=KubeletCredentialProviders=true --node-ip=10.0.0.5"\n' \
        > "$node2/var/lib/kubelet/kubeadm-flags.env"
printf 'featureGates:\n  SeccompDefault: true\n' >> "$node2/var/lib/kubelet/config.yaml"
cp "$node2/var/lib/kubelet/config.yaml" "$WORK/config2.before"
run --root="$node2" "${PB[@]}" apply kubelet-feature-gates --set kubelet_version=1.30
is "$RC" 0 "apply succeeds when the gates are the last ones"
is "$(cat "$node2/var/lib/kubelet/kubeadm-flags.env")" 'KUBELET_KUBEADM_ARGS="--node-ip=10.0.0.5"' \
        "a --feature-gates left without gates goes whole"
lacks "$(cat "$node2/var/lib/kubelet/config.yaml")" "featureGates" "an emptied featureGates: goes with its last gate"
is "$(head -n -2 "$WORK/config2.before")" "$(cat "$node2/var/lib/kubelet/config.yaml")" "every other line of config.yaml is kept"

# diagnose finds it from the files when the version is known.
node3=$(new_node broken-node)
printf 'KUBELET_KUBEADM_ARGS="--feature-gates=KubeletCredentialProviders=true"\n' > "$node3/var/lib/kubelet/kubeadm-flags.env"
run --root="$node3" "${PB[@]}" diagnose
contains "$OUT" "kubelet-feature-gates" "diagnose names the playbook (the node's dpkg kubelet is newer than 1.28)"
contains "$OUT" "KubeletCredentialProviders" "diagnose's evidence names the gate"

done_testing
