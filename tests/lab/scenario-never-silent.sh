#!/bin/bash
# SPDX-License-Identifier: MIT
# Never silent, live: a kubelet crash-looping for a reason no playbook knows (a flag value it
# cannot parse), a kubelet stopped by hand, and a containerd that cannot start are each a
# finding of diagnose's own, with the unit's state, restart count, result and exit status from
# systemd and the run's error lines from the journal; exit 1. The healthy node stays quiet.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

lab_setup || exit 1
lab_cni_config || exit 1
printf '%s\n' 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --fail-swap-on=maybe"' \
        >"$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
lab_boot || exit 1
lab_wait_journal kubelet.service 'invalid argument \"maybe\"' 20
ok $? "the broken node: the kubelet rejects the flag's value"
crash_loops kubelet.service
ok $? "and crash-loops"
node_findings
is "$DIAG_RC" 1 "diagnose exits 1"
is "$FOUND" kubelet-crash-looping "diagnose names the crash loop, though no playbook matches"
contains "$DIAG_OUT" "kubelet.service is crash-looping: it exits and systemd restarts it; no shipped playbook matches this failure" \
        "in plain words"
ok "$(grep -qE 'evidence: kubelet.service: (activating \(auto-restart\)|active \(running\)|failed \(failed\)), unit file enabled, restarted [1-9][0-9]* times?, result exit-code, last exit: exit status 1' <<<"$DIAG_OUT"; echo $?)" \
        "the evidence gives systemd's state, restart count, result and exit status"
contains "$DIAG_OUT" 'invalid argument \"maybe\" for \"--fail-swap-on\" flag' "and the kubelet's own error line"
lab_teardown

lab_setup || exit 1
lab_cni_config || exit 1
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
node_findings
is "$FOUND" "" "a healthy node: no findings"
is "$DIAG_RC" 0 "exit 0"
lab_run systemctl stop kubelet.service
node_findings
is "$FOUND" kubelet-enable "the kubelet stopped by hand: kubelet-enable names it, and nothing names it twice"
lab_teardown

lab_setup || exit 1
lab_cni_config || exit 1
# Not "sh -c" on ExecStart=: remedy reads containerd's -c as its --config, as containerd would.
mkdir -p "$LAB_ROOT/etc/systemd/system/containerd.service.d" "$LAB_ROOT/usr/local/sbin"
# It lives a second after its line, as containerd does: journald attributes a line to its unit's
# run from the sender's /proc entry, which a process that exits at once no longer has.
printf '#!/bin/sh\necho "time=\\"2026-01-01T00:00:00Z\\" level=fatal msg=\\"lab: containerd cannot start\\"" >&2\nsleep 1\nexit 3\n' \
        >"$LAB_ROOT/usr/local/sbin/containerd-broken"
chmod 755 "$LAB_ROOT/usr/local/sbin/containerd-broken"
printf '[Service]\nExecStart=\nExecStart=/usr/local/sbin/containerd-broken\n' \
        >"$LAB_ROOT/etc/systemd/system/containerd.service.d/90-broken.conf"
lab_boot || exit 1
crash_loops containerd.service
ok $? "containerd that cannot start crash-loops"
lab_wait_journal containerd.service "lab: containerd cannot start" 20
node_findings
contains " $FOUND " " containerd-crash-looping " "diagnose names containerd's crash loop"
contains "$DIAG_OUT" "last exit: exit status 3" "with its exit status"
contains "$DIAG_OUT" 'level=fatal msg="lab: containerd cannot start"' "and its fatal line"
lab_teardown
done_testing
