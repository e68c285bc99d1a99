#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.6, 203/EXEC, live: an operator's drop-in points the kubelet's ExecStart= at a
# binary that is not there. systemd fails the start with status=203/EXEC and logs why; the kubelet
# never runs, so no kubelet line says anything. diagnose names kubelet-exec-failed: the binary, the
# drop-in line that sets it, systemd's exit status and its journal line, and advice; nothing
# fixes it (fix exits 1 and changes no file). Then a dangling symlink in its place, and finally the
# operator's own fix (the link pointed at the installed kubelet): the kubelet runs, diagnose is
# quiet. Then the kubelet on a noexec mount ("Permission denied"): named live by the mount's
# flags, and by the node's fstab line. Judged through systemd (unit properties) and the journal.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

dropin=/etc/systemd/system/kubelet.service.d/20-path.conf

lab_setup || exit 1
lab_cni_config || exit 1
printf '[Service]\nExecStart=\nExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS\n' \
        >"$LAB_ROOT$dropin"
rm -f "$LAB_ROOT/usr/local/bin/kubelet"
lab_boot || exit 1

wait_203() {
        local i
        for ((i = 0; i < 200; i++)); do
                [ "$(lab_unit_prop kubelet.service ExecMainStatus)" = 203 ] && return 0
                sleep 0.1
        done
        diag "kubelet.service ExecMainStatus: $(lab_unit_prop kubelet.service ExecMainStatus)"
        return 1
}
wait_203
ok $? "the broken node: systemd reports ExecMainStatus=203 for the kubelet"
journal=$(lab_journal kubelet.service)
ok "$(grep -qE 'Failed (at step EXEC spawning|to locate executable|to execute) /usr/local/bin/kubelet' <<<"$journal"; echo $?)" \
        "and its journal says it could not execute /usr/local/bin/kubelet"

node_findings
is "$DIAG_RC" 1 "diagnose exits 1"
is "$FOUND" kubelet-exec-failed "diagnose names kubelet-exec-failed, and nothing else"
contains "$DIAG_OUT" "kubelet.service cannot start: its ExecStart= binary is missing (203/EXEC)" "in plain words"
contains "$DIAG_OUT" "ExecStart= at $dropin:3 runs /usr/local/bin/kubelet" "naming the drop-in line that sets ExecStart="
contains "$DIAG_OUT" "/usr/local/bin/kubelet does not exist" "and that the binary does not exist"
contains "$DIAG_OUT" "last exit: status 203/EXEC (systemd could not execute the binary)" "with systemd's exit status"
ok "$(grep -qE 'evidence: kubelet.service logged at .*: .*Failed (at step EXEC spawning|to locate executable|to execute) /usr/local/bin/kubelet' <<<"$DIAG_OUT"; echo $?)" \
        "and systemd's journal line"
contains "$DIAG_OUT" "reinstall the package that ships it" "with advice"

before=$(node_sha256 "$dropin" /usr/local/bin/kubelet)
node_remedy fix --yes
is "$RC" 1 "fix --yes exits 1: nothing it can fix"
contains "$ERR" "not fixed: kubelet-exec-failed" "naming it"
is "$(node_sha256 "$dropin" /usr/local/bin/kubelet)" "$before" "fix changed nothing"

# A dangling symlink in the binary's place.
ln -s /opt/kubernetes/bin/kubelet "$LAB_ROOT/usr/local/bin/kubelet"
lab_run systemctl restart kubelet.service
wait_203
ok $? "a dangling link: 203 again"
node_findings
is "$FOUND" kubelet-exec-failed "a dangling link: kubelet-exec-failed"
contains "$DIAG_OUT" "/usr/local/bin/kubelet is a symbolic link to /opt/kubernetes/bin/kubelet, which does not exist" \
        "saying where the link points"

# The operator's fix: the link at the installed kubelet.
ln -sfn /usr/bin/kubelet "$LAB_ROOT/usr/local/bin/kubelet"
lab_run systemctl restart kubelet.service
stays_up kubelet.service 3
ok $? "the link fixed by hand: the kubelet runs and stays up"
node_findings
is "$FOUND" "" "then diagnose finds nothing"

# The kubelet on a filesystem mounted noexec (a tmpfs in the node's own mount namespace): the file
# is executable, yet execve() says EACCES and systemd 203/EXEC. Live, the mount's own flags say
# so; with the node's fstab naming that mount noexec, its line is named too.
mkdir -p "$LAB_ROOT/opt/nx"
lab_run mount -t tmpfs -o noexec,mode=0755 tmpfs /opt/nx
lab_run cp /usr/bin/kubelet /opt/nx/kubelet
ln -sfn /opt/nx/kubelet "$LAB_ROOT/usr/local/bin/kubelet"
lab_run systemctl restart kubelet.service
wait_203
ok $? "the kubelet on a noexec mount: 203 again"
ok "$(grep -qE 'Failed to execute /usr/local/bin/kubelet: Permission denied|Failed at step EXEC spawning /usr/local/bin/kubelet: Permission denied' \
        <<<"$(lab_journal kubelet.service)"; echo $?)" "systemd says Permission denied"
node_findings
is "$FOUND" kubelet-exec-failed "a noexec mount: kubelet-exec-failed"
contains "$DIAG_OUT" "its ExecStart= binary is on a filesystem mounted noexec (203/EXEC)" "in plain words"
contains "$DIAG_OUT" "/opt/nx/kubelet is on a filesystem mounted noexec now" "judged by the mount's own flags"
touch "$LAB_ROOT/etc/fstab" && cp -p "$LAB_ROOT/etc/fstab" "$LAB_DIR/fstab.before"
printf 'tmpfs /opt/nx tmpfs noexec,mode=0755 0 0\n' >>"$LAB_ROOT/etc/fstab"
node_findings
contains "$DIAG_OUT" "/opt/nx/kubelet is on /opt/nx, mounted noexec by /etc/fstab:$(wc -l <"$LAB_ROOT/etc/fstab")" \
        "with the node's fstab line that mounts it so"
cp -p "$LAB_DIR/fstab.before" "$LAB_ROOT/etc/fstab"
lab_run mount -o remount,exec /opt/nx
lab_run systemctl restart kubelet.service
stays_up kubelet.service 3
ok $? "remounted exec by hand: the kubelet runs and stays up"
node_findings
is "$FOUND" "" "then diagnose finds nothing"
lab_run umount /opt/nx
rmdir "$LAB_ROOT/opt/nx"
rm -f "$LAB_ROOT/usr/local/bin/kubelet"
lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
