#!/bin/bash
# SPDX-License-Identifier: MIT
# B.26 (kubelet-cgroup-v1, report only) on a VM node (tests/lab/vm.sh): which cgroup hierarchy a
# node runs is its kernel's and systemd's choice at boot, so the node boots its own kernel with
# systemd.unified_cgroup_hierarchy=0 on the command line, as an operator (or an old image) leaves
# it. A container node has whatever hierarchy its host has, which a test cannot choose. The
# kubelet stand-in is 1.35, where failCgroupV1 is true by default and the kubelet refuses the
# host (see tests/lab/kubelet-standin).
#
# 1. On cgroup v1 (the test asks stat(1), not remedy): the kubelet refuses the host with its own
#    line and crash-loops; diagnose names kubelet-cgroup-v1 and nothing else, with the live
#    evidence and the advice; fix --yes applies nothing and changes no file.
# 2. The operator's stopgap, by hand: failCgroupV1: false in config.yaml, the kubelet restarted:
#    it stays up and diagnose is quiet (remedy reads the effective setting). Taken out again.
# 3. A kubelet 1.34 on the same host: it runs, and diagnose is quiet (remedy reads the kubelet's
#    version from the binary). Back to 1.35.
# 4. The fix the advice gives: reboot without systemd.unified_cgroup_hierarchy=0. The node is on
#    cgroup v2, the 1.35 kubelet comes up and stays up, and diagnose finds nothing.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/vm.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

LAB_KUBELET_VERSION=1.35.0
LAB_VM_APPEND=systemd.unified_cgroup_hierarchy=0
config=/var/lib/kubelet/config.yaml
extra=/etc/default/kubelet
toml=/etc/containerd/config.toml

lab_vm_setup || exit 1
lab_cni_config || exit 1
# The kernel as a Kubernetes node has it (kernel-netfilter is another scenario's).
lab_vm_k8s_kernel || exit 1
# The flags kubeadm 1.35 writes: no --pod-infra-container-image, which 1.35 no longer has
# (kubelet-strip-flags' failure, not this one's).
printf '%s\n' 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock"' \
        >"$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
config_before=$(cat "$LAB_ROOT$config"; echo x)

# hierarchy: the file system type of the node's /sys/fs/cgroup, by stat(1) in the node.
hierarchy() { lab_run stat -f -c %T /sys/fs/cgroup; }
# standin_version V: the version baked into the node's kubelet, as lab_install_kubelet bakes it.
standin_version() { sed -i "s|^STANDIN_VERSION = .*|STANDIN_VERSION = \"$1\"|" "$LAB_ROOT/usr/bin/kubelet"; }
restart_kubelet() { lab_run systemctl restart kubelet.service >/dev/null 2>&1; }

lab_vm_boot || exit 1

# ---- 1: cgroup v1 under a 1.35 kubelet
is "$(hierarchy)" tmpfs "the node booted on cgroup v1: /sys/fs/cgroup is a tmpfs of v1 controllers"
lab_wait_journal kubelet.service "kubelet is configured to not run on a host using cgroup v1" 60
ok $? "the kubelet refuses the host with its own line"
crash_loops kubelet.service
ok $? "and crash-loops"
node_findings
is "$FOUND" kubelet-cgroup-v1 "diagnose names kubelet-cgroup-v1, and nothing else"
is "$DIAG_RC" 1 "diagnose exits 1: something found"
contains "$DIAG_OUT" "/sys/fs/cgroup is a tmpfs of cgroup v1 controllers, not cgroup2: this host runs cgroup v1, which kubelet 1.35 refuses (failCgroupV1 unset: true by default from 1.35)" \
        "the live evidence: the hierarchy, the kubelet's version and its failCgroupV1"
contains "$DIAG_OUT" "safety:  report" "it is report only"
contains "$DIAG_OUT" "systemd.unified_cgroup_hierarchy=0" "the advice names the kernel's command line"
before=$(node_sha256 $config $extra $toml)
node_remedy fix --yes
is "$RC" 1 "fix --yes exits 1: something found that it does not fix"
contains "$ERR" "kubelet-cgroup-v1 found, report only" "fix names it as report only"
is "$(node_sha256 $config $extra $toml)" "$before" "fix changed no file"
is "$(ls "$LAB_ROOT/var/lib/remedy/backups" 2>/dev/null | grep -c '\.json$')" 0 "and recorded no transaction"

# ---- 2: the stopgap, by hand
lab_kubelet_config_set failCgroupV1 false
restart_kubelet
lab_wait_unit kubelet.service active 30
stays_up kubelet.service 5
ok $? "failCgroupV1: false: the kubelet runs on cgroup v1"
node_findings
is "$FOUND" "" "diagnose is quiet: the effective failCgroupV1 is false"
printf '%s' "${config_before%x}" >"$LAB_ROOT$config"
restart_kubelet
crash_loops kubelet.service
ok $? "the stopgap taken out: the kubelet crash-loops again"

# ---- 3: a kubelet before 1.35 on the same host
standin_version 1.34.0
restart_kubelet
lab_wait_unit kubelet.service active 30
stays_up kubelet.service 5
ok $? "a 1.34 kubelet runs on cgroup v1"
node_findings
is "$FOUND" "" "diagnose is quiet: failCgroupV1 is false by default before 1.35"
standin_version 1.35.0

# ---- 4: the advice followed: a reboot on cgroup v2
LAB_VM_APPEND=
lab_vm_reboot || exit 1
is "$(hierarchy)" cgroup2fs "rebooted without systemd.unified_cgroup_hierarchy=0: cgroup v2"
lab_wait_unit kubelet.service active 60
stays_up kubelet.service 5
ok $? "the 1.35 kubelet comes up and stays up"
node_findings
is "$FOUND" "" "diagnose finds nothing"
is "$(cat "$LAB_ROOT$config"; echo x)" "$config_before" "config.yaml is as the node had it: nothing was changed to get here"

lab_teardown
ok $? "the VM node is torn down, nothing left behind"
done_testing
