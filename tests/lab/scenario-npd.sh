#!/bin/bash
# SPDX-License-Identifier: MIT
# node-problem-detector with contrib/npd, in a lab node: the NPD stand-in (tests/lab/npd-standin,
# plugin.go's protocol and custom_plugin_monitor.go's conditions) runs the shipped config as
# NPD's pod would, in a mount namespace of its own in which /usr/sbin is empty (NPD's image has
# no remedy), with the config and the wrapper at /remedy-npd as the DaemonSet patch mounts them.
# remedy is installed in the node at /usr/sbin/remedy, where the wrapper's nsenter finds it.
#   broken node (cgroup driver mismatch, as scenario-cgroup.sh)  -> RemedyFinding True, naming it
#   fixed by remedy apply                                        -> False, the default message
#   the pod without hostPID, or not privileged                    -> Unknown, saying why
#   the node's D-Bus stopped: remedy cannot diagnose              -> Unknown, remedy's reason
# Run only under `flock /tmp/remedy-lab.lock`.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

CONFIG=/remedy-npd/remedy-plugin-monitor.json
STANDIN=$SOURCE_ROOT/tests/lab/npd-standin

lab_setup || exit 1
lab_cni_config || exit 1
lab_containerd_systemd_cgroup false
lab_kubelet_config_set cgroupDriver systemd
# remedy as its package installs it: the binary in /usr/sbin, the playbooks where this build looks
# (the build's prefix decides: /usr or /usr/local), so that the wrapper's plain `remedy` finds them.
install -D -m 0755 "$REMEDY" "$LAB_ROOT/usr/sbin/remedy"
for d in /usr/share/remedy/playbooks /usr/local/share/remedy/playbooks; do
        mkdir -p "$LAB_ROOT$d" && cp "$PLAYBOOKS"/*.yaml "$LAB_ROOT$d/"
done
# The remedy-npd ConfigMap as the pod sees it.
install -D -m 0755 "$SOURCE_ROOT/contrib/npd/remedy-on-host" "$LAB_ROOT/remedy-npd/remedy-on-host"
install -m 0644 "$SOURCE_ROOT/contrib/npd/remedy-plugin-monitor.json" "$LAB_ROOT$CONFIG"
lab_boot || exit 1

# npd_pod STATE [PRIVILEGE...]: one batch of the stand-in in NPD's "pod": its own mount namespace
# with /usr/sbin hidden; PRIVILEGE words change it: nohostpid (a PID namespace of its own, so PID 1
# is the pod's), unprivileged (no CAP_SYS_ADMIN). Sets NPD (the stand-in's JSON) and NPD_RC.
npd_pod() {
        local state=$1 pid=() caps=()
        shift
        for w in "$@"; do
                case $w in
                nohostpid) pid=(--pid --fork --mount-proc) ;;
                unprivileged) caps=(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin --) ;;
                esac
        done
        NPD=$(lab_run unshare --mount --propagation private "${pid[@]}" -- sh -c \
                'mount -t tmpfs -o ro npd-pod /usr/sbin && exec "$@"' sh "${caps[@]}" \
                python3 "$STANDIN" --state "$state" "$CONFIG" 2>"$LAB_DIR/npd.err") && NPD_RC=0 || NPD_RC=$?
        [ "$NPD_RC" -eq 0 ] || diag "npd-standin exited $NPD_RC: $(cat "$LAB_DIR/npd.err")"
}
cond() { jq -r ".conditions[] | select(.type == \"RemedyFinding\") | .$1" <<<"$NPD"; }
result() { jq -r ".results[0].$1" <<<"$NPD"; }

lab_wait_journal kubelet.service "misconfiguration: kubelet cgroup driver" 20
ok $? "the broken node: the kubelet says its cgroup driver differs from containerd's"

# The pod really cannot see remedy: only the wrapper's nsenter reaches it.
is "$(lab_run unshare --mount --propagation private -- sh -c \
        'mount -t tmpfs -o ro npd-pod /usr/sbin && ls -A /usr/sbin | wc -l')" 0 "in the pod's mount namespace /usr/sbin is empty"

npd_pod /tmp/npd.state
is "$NPD_RC" 0 "the stand-in accepts the shipped config (NPD's checks, the rule path exists in the pod)"
is "$(result status)" NonOK "broken node: the plugin exits 1 (NonOK)"
is "$(cond status)" True "the RemedyFinding condition is True"
is "$(cond reason)" RemedyFoundFailure "with the rule's reason"
is "$(cond message)" "1 finding: cgroup-driver-systemd" "and remedy's line as the message, naming the finding"

# How long a diagnosis takes on this node, against the config's timeout (README quotes it).
times=$(for i in 1 2 3 4 5; do
        lab_run /usr/bin/time -f '%e %U %S %M' /usr/sbin/remedy --format=npd diagnose 2>&1 >/dev/null | tail -1
done)
diag "remedy --format=npd diagnose, wall user sys maxrss-KiB, 5 runs:" $times
max_wall=$(awk '$1 > m { m = $1 } END { print m }' <<<"$times")
ok "$(awk -v w="$max_wall" 'BEGIN { exit !(w < 5) }'; echo $?)" \
        "the slowest of 5 diagnoses ($max_wall s) is well within the rule's 20 s timeout"
ok "$(awk -v s="$(result seconds)" 'BEGIN { exit !(s < 5) }'; echo $?)" "and so is the run through nsenter ($(result seconds) s)"

# Unknown, never a false finding, when the pod lacks what the patch gives it.
npd_pod /tmp/npd.nohostpid nohostpid
is "$(result status)" Unknown "without hostPID: Unknown"
is "$(cond status)" Unknown "the condition is Unknown"
contains "$(cond message)" "cannot run the host's /usr/sbin/remedy" "and the message says why"
npd_pod /tmp/npd.unprivileged unprivileged
is "$(result exit_code)" 2 "not privileged: nsenter cannot enter, the wrapper exits 2, not nsenter's 1"
is "$(cond status)" Unknown "the condition is Unknown, not True"

# Fixed: the condition goes back to False with the default reason and message.
lab_run /usr/sbin/remedy apply cgroup-driver-systemd >"$LAB_DIR/apply.out" 2>&1
ok $? "remedy apply cgroup-driver-systemd on the node"
stays_up kubelet.service 3
ok $? "the kubelet stays up"
npd_pod /tmp/npd.state
is "$(result status)" OK "fixed node: the plugin exits 0 (OK)"
contains "$(result message)" "remedy: no known failure" "remedy says so"
is "$(cond status)" False "the RemedyFinding condition is False again"
is "$(cond reason)" NoRemedyFinding "with the default reason"
is "$(cond message)" "remedy diagnose finds no known failure" "and the default message"

# remedy cannot diagnose: systemd unreachable on the node's bus.
lab_run systemctl stop dbus.socket dbus.service
npd_pod /tmp/npd.state
is "$(result exit_code)" 2 "no D-Bus: remedy exits 2"
is "$(cond status)" Unknown "the condition is Unknown"
contains "$(cond message)" "remedy cannot diagnose" "with remedy's reason as the message"
ok "$( [ "$(printf '%s' "$(cond message)" | wc -c)" -le 80 ]; echo $?)" "cut to max_output_length"

# NPD stats every rule's path at start: a config whose wrapper is missing never starts.
jq '.rules[0].path = "/remedy-npd/no-such-plugin"' "$SOURCE_ROOT/contrib/npd/remedy-plugin-monitor.json" \
        >"$LAB_ROOT/remedy-npd/missing.json"
CONFIG=/remedy-npd/missing.json npd_pod /tmp/npd.missing
is "$NPD_RC" 1 "a rule path missing in the pod: the stand-in refuses to start, as NPD does"
contains "$(cat "$LAB_DIR/npd.err")" "rule path does not exist" "saying so"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
