#!/bin/bash
# SPDX-License-Identifier: MIT
# The report-only findings of issue 16 on a running node, each from the daemon's own behaviour:
# B.20, a --node-ip that is on none of the node's interfaces (the live condition compares it with
# getifaddrs; the kubelet's status loop says it too); B.11, a config.toml containerd (Debian's, the
# real one) cannot load; B.5, the kubelet's --config pointing at its kubeconfig. diagnose names
# each with its evidence and advice, fix --yes applies none of them and changes nothing.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

extra=/etc/default/kubelet
config=/var/lib/kubelet/config.yaml
toml=/etc/containerd/config.toml

lab_setup || exit 1
lab_cni_config || exit 1
# 203.0.113.0/24 is TEST-NET-3: no interface of the node has it.
printf 'KUBELET_EXTRA_ARGS="--node-ip=203.0.113.77"\n' >"$LAB_ROOT$extra"
lab_boot || exit 1

# B.20
lab_wait_journal kubelet.service 'node IP: \"203.0.113.77\" not found in the host' 30
ok $? "B.20: the kubelet logs that its --node-ip is not on the host"
node_findings
is "$FOUND" kubelet-node-ip "B.20: diagnose names kubelet-node-ip, and nothing else"
contains "$DIAG_OUT" "--node-ip 203.0.113.77 (/etc/default/kubelet:1 \$KUBELET_EXTRA_ARGS): 203.0.113.77 is on none of this host's interfaces" \
        "B.20: the live evidence names the flag, its file and line, and the address missing"
contains "$DIAG_OUT" "safety:  report" "B.20: it is report only"
before=$(node_sha256 $extra $config $toml)
node_remedy fix --yes
is "$RC" 1 "B.20: fix --yes exits 1: something found that it does not fix"
contains "$ERR" "kubelet-node-ip found, report only" "B.20: fix names it as report only"
is "$(node_sha256 $extra $config $toml)" "$before" "B.20: fix changed no file"

# B.11: a TOML syntax error, containerd restarted on it.
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n' >"$LAB_ROOT$toml"
lab_run systemctl restart containerd.service >/dev/null 2>&1
lab_wait_journal containerd.service "failed to load TOML" 20
ok $? "B.11: containerd refuses the file with its own words"
node_findings
contains "$FOUND" containerd-config-invalid "B.11: diagnose names containerd-config-invalid"
contains "$DIAG_OUT" "/etc/containerd/config.toml" "B.11: the evidence names the file containerd could not load"

# B.5: the kubeconfig as --config.
cp "$LAB_ROOT/etc/kubernetes/kubelet.conf" "$LAB_ROOT$config" 2>/dev/null ||
        printf 'apiVersion: v1\nkind: Config\nclusters: []\n' >"$LAB_ROOT$config"
lab_run systemctl restart kubelet.service >/dev/null 2>&1
lab_wait_journal kubelet.service 'no kind \"Config\" is registered' 20
ok $? "B.5: the kubelet refuses a kubeconfig as its --config"
node_findings
contains "$FOUND" kubelet-config-invalid "B.5: diagnose names kubelet-config-invalid"
contains "$DIAG_OUT" "/var/lib/kubelet/config.yaml:" "B.5: with FILE:LINE"
before=$(node_sha256 $extra $config $toml)
node_remedy fix --yes
is "$(node_sha256 $extra $config $toml)" "$before" "fix --yes changed none of the three files"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
