#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.18, live: the kubelet's resolvConf names /run/systemd/resolve/resolv.conf (as
# kubeadm writes it where systemd-resolved ran at join) on a node without systemd-resolved: the
# file is not there, and diagnose names kubelet-resolv-conf-missing (report only, fix changes
# nothing). Then the file appears with resolved's stub nameserver (127.0.0.53) but systemd says
# systemd-resolved is not active: kubelet-resolv-conf (B.17) must not match, since only a running
# resolved keeps /run/systemd/resolve/resolv.conf. The B.17 fix itself, with a real
# systemd-resolved in the node: scenario-resolved.sh.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

lab_setup || exit 1
lab_cni_config || exit 1
lab_kubelet_config_set resolvConf /run/systemd/resolve/resolv.conf
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
ok $? "the kubelet runs (it reads resolvConf only for pod sandboxes)"
is "$(lab_unit_prop systemd-resolved.service LoadState)" not-found "systemd has no systemd-resolved on this node"

node_findings
is "$DIAG_RC" 1 "diagnose exits 1"
is "$FOUND" kubelet-resolv-conf-missing "diagnose names kubelet-resolv-conf-missing, and nothing else"
contains "$DIAG_OUT" "the kubelet's resolvConf /run/systemd/resolve/resolv.conf (set at /var/lib/kubelet/config.yaml:" \
        "evidence: the setting and where it is set"
contains "$DIAG_OUT" "does not exist: every new pod sandbox fails on it" "and that the file is missing"
contains "$DIAG_OUT" "systemctl unmask" "with advice"
node_remedy fix --yes
is "$RC" 1 "fix --yes: exit 1 (report only)"
contains "$ERR" "kubelet-resolv-conf-missing" "naming it"

lab_run mkdir -p /run/systemd/resolve
lab_run sh -c 'printf "nameserver 127.0.0.53\n" >/run/systemd/resolve/resolv.conf'
node_findings
is "$FOUND" "" "the file there, though loopback only: resolved is not active, so kubelet-resolv-conf does not match"
lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
