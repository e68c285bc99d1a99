#!/bin/bash
# SPDX-License-Identifier: MIT
# Unattended repair on the node (issue 17 §4): remedy-fix.timer and remedy-fix.service as built
# (build/units), installed into the node with a drop-in that points ExecStart= at the built remedy
# and the test's playbooks and shortens the timer to a few seconds. Judged by systemd (the
# kubelet's state, the service's result), the journal's MESSAGE_ID entries, the state file and
# the metrics file, read with journalctl, jq and grep.
#   1. heal: the kubelet stopped by hand (kubelet-enable, safety auto) runs again within one
#      timer period, with nobody running remedy;
#   2. cooldown: stopped again right away, the next run does not apply it again;
#   3. breaker: kubelet-enable on a node whose kubelet (disabled) then fails (a cgroup driver mismatch,
#      cgroup-driver-systemd, safety confirm: only reported) is rolled back and opens the
#      breaker; the next run applies nothing and says so; remedy fix --reset closes it.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

period=15   # the shortened OnUnitActiveSec=
units=$(dirname "$(dirname "$REMEDY")")/units
applied=0ea7350bc92b4b4fa6f2020974e3fdb2
rolled_back=19784136103143569697ca43bc092f14
cooldown=b9268e6b941440c388a74fe5452e5d2b
breaker=2efd7c78be0a4ad89e87805e6bc44724
reset=62fb6fbc86ce43159e4ec53a92fad03a
reported=1d6c1677ea884c6c93f9ed3221875e3b
prom=/var/lib/prometheus/node-exporter/remedy.prom

# entries ID: "PLAYBOOK DECISION UNIT" of each journal entry with that MESSAGE_ID this boot.
entries() {
        lab_run journalctl -b -q -o json "MESSAGE_ID=$1" | jq -r '"\(.REMEDY_PLAYBOOK // "-") \(.REMEDY_DECISION) \(._SYSTEMD_UNIT // "-")"'
}
# wait_entry ID TEXT SECONDS: waits for an entry with that MESSAGE_ID whose line holds TEXT.
wait_entry() {
        local i
        for ((i = 0; i < $3 * 2; i++)); do
                entries "$1" | grep -qF -- "$2" && return 0
                sleep 0.5
        done
        diag "no journal entry MESSAGE_ID=$1 with \"$2\" within $3 s"
        return 1
}
transactions() { ls "$LAB_ROOT"/var/lib/remedy/backups/*.json 2>/dev/null | wc -l; }

lab_setup || exit 1
lab_cni_config || exit 1
[ -f "$units/remedy-fix.service" ] || { echo "Bail out! no $units/remedy-fix.service (build the units)"; exit 1; }
install -m 0644 "$units/remedy-fix.service" "$SOURCE_ROOT/units/remedy-fix.timer" "$LAB_ROOT/etc/systemd/system/" || exit 1
mkdir -p "$LAB_ROOT/etc/systemd/system/remedy-fix.service.d" "$LAB_ROOT/etc/systemd/system/remedy-fix.timer.d"
# The shipped command line with the built binary and the test's playbooks in front.
exec_start=$(sed -n "s|^ExecStart=[^ ]*/remedy |ExecStart=$REMEDY --playbooks=$PLAYBOOKS |p" "$units/remedy-fix.service")
contains "$exec_start" "fix --unattended --metrics-textfile=$prom" "the shipped service runs fix --unattended with node_exporter's textfile"
# The build tree may live under /tmp or /home (a CI clone does), which the shipped sandbox hides
# from the service (PrivateTmp=, ProtectHome=): the test's binary must stay reachable.
printf '[Service]\nExecStart=\n%s\nPrivateTmp=no\nProtectHome=no\n' "$exec_start" \
        >"$LAB_ROOT/etc/systemd/system/remedy-fix.service.d/lab.conf"
printf '[Timer]\nOnBootSec=\nOnUnitActiveSec=\nOnBootSec=1s\nOnUnitActiveSec=%ss\nRandomizedDelaySec=0\nAccuracySec=1s\n' "$period" \
        >"$LAB_ROOT/etc/systemd/system/remedy-fix.timer.d/lab.conf"
mkdir -p "$LAB_ROOT/var/lib/prometheus/node-exporter"
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
ok $? "the healthy node: the kubelet runs"
out=$(lab_run systemd-analyze verify --man=no remedy-fix.service remedy-fix.timer 2>&1)
is "$out" "" "systemd-analyze verify: the installed units are clean"
is "$(lab_run systemctl is-enabled remedy-fix.timer)" disabled "the timer is off until enabled"

# 1. heal
lab_run systemctl enable --now remedy-fix.timer >/dev/null 2>&1
lab_wait_unit remedy-fix.timer active 5
ok $? "remedy-fix.timer is enabled and active"
# Its first run (OnBootSec long past) finds a healthy node; then the kubelet is stopped by hand.
for ((i = 0; i < 40; i++)); do
        [ "$(lab_unit_prop remedy-fix.service Result)" = success ] && [ "$(lab_unit_prop remedy-fix.service ExecMainExitTimestampMonotonic)" != 0 ] && break
        sleep 0.5
done
is "$(lab_unit_prop remedy-fix.service ExecMainStatus)" 0 "the first run on the healthy node: nothing to fix, exit 0"
lab_run systemctl stop kubelet.service
is "$(lab_unit_prop kubelet.service ActiveState)/$(lab_unit_prop kubelet.service Result)" inactive/success \
        "the broken node: the kubelet stopped by hand"
stopped=$(date +%s)
# One period, the kubelet's 10 s stable window, and slack for the run itself.
lab_wait_unit kubelet.service active $((period + 10))
ok $? "the kubelet runs again within one timer period ($period s), nobody ran remedy"
wait_entry $applied "kubelet-enable applied remedy-fix.service" 20
ok $? "the journal: MESSAGE_ID=$applied, REMEDY_PLAYBOOK=kubelet-enable, from remedy-fix.service"
echo "# healed $(($(date +%s) - stopped)) s after the kubelet was stopped"
stays_up kubelet.service 3
ok $? "and it stays up"
is "$(lab_run jq -r '.playbooks["kubelet-enable"].attempts | length' /var/lib/remedy/unattended.json)" 1 "the state: one attempt"
is "$(stat -c '%a %u' "$LAB_ROOT/var/lib/remedy/unattended.json")" "600 0" "the state file is root's, 0600"
m=$(cat "$LAB_ROOT$prom")
contains "$m" 'remedy_unattended_attempts{playbook="kubelet-enable"} 1' "the metrics file: the attempt"
contains "$m" "remedy_unattended_breaker_open 0" "the metrics file: the breaker closed"

# 2. cooldown
lab_run systemctl stop kubelet.service
wait_entry $cooldown "kubelet-enable skipped-cooldown remedy-fix.service" $((period + 10))
ok $? "stopped again: the next run skips it for the cooldown (MESSAGE_ID=$cooldown)"
is "$(lab_unit_prop kubelet.service ActiveState)" inactive "and the kubelet stays stopped"
is "$(lab_unit_prop remedy-fix.service Result)/$(lab_unit_prop remedy-fix.service ExecMainStatus)" success/1 \
        "the service: exit 1 (a failure left), which it counts as success"

# 3. breaker: the timer stopped, the service started by hand for each run.
lab_run systemctl stop remedy-fix.timer
lab_run "$REMEDY" fix --reset >/dev/null 2>&1
wait_entry $reset "- reset -" 5
ok $? "remedy fix --reset: MESSAGE_ID=$reset"
# Disabled as well as stopped: the rollback puts that back, so that the next run finds
# kubelet-enable again (a kubelet that failed on restart is no longer "stopped by hand").
lab_run systemctl disable kubelet.service >/dev/null 2>&1
lab_kubelet_config_set cgroupDriver systemd
lab_containerd_systemd_cgroup false
before=$(node_sha256 /etc/containerd/config.toml /var/lib/kubelet/config.yaml)
node_findings
is "$FOUND" "cgroup-driver-systemd kubelet-enable" "the broken node: diagnose names kubelet-enable and cgroup-driver-systemd"
n0=$(transactions)
lab_run systemctl start remedy-fix.service
is "$(lab_unit_prop remedy-fix.service ExecMainStatus)" 1 "the run whose fix fails: exit 1"
wait_entry $rolled_back "kubelet-enable rolled-back remedy-fix.service" 5
ok $? "the journal: kubelet-enable rolled back (MESSAGE_ID=$rolled_back)"
wait_entry $reported "cgroup-driver-systemd reported remedy-fix.service" 5
ok $? "the confirm finding is only reported (MESSAGE_ID=$reported)"
is "$(node_sha256 /etc/containerd/config.toml /var/lib/kubelet/config.yaml)" "$before" "cgroup-driver-systemd changed nothing"
is "$(lab_unit_prop kubelet.service ActiveState)" inactive "the kubelet is stopped again (rolled back)"
is "$(last_txn_state)" rolled-back "the store: the transaction rolled back"
is "$(lab_run jq -c '[.breaker.open, .breaker.playbooks]' /var/lib/remedy/unattended.json)" '[true,["kubelet-enable"]]' \
        "the state: the breaker open, naming kubelet-enable"
contains "$(cat "$LAB_ROOT$prom")" "remedy_unattended_breaker_open 1" "the metrics file: the breaker open"
n1=$(transactions)
lab_run systemctl start remedy-fix.service
wait_entry $breaker "kubelet-enable skipped-breaker remedy-fix.service" 5
ok $? "the next run: not applied, the breaker is open (MESSAGE_ID=$breaker)"
is "$(transactions)" "$n1" "and it applied nothing: no new transaction"
is "$(lab_unit_prop kubelet.service ActiveState)" inactive "the kubelet is left stopped"
ok "$( [ "$n1" -gt "$n0" ]; echo $?)" "(the failed fix had made one)"
node_remedy fix --reset
is "$RC" 0 "remedy fix --reset: exit 0"
contains "$ERR" "the breaker is closed (it opened when kubelet-enable was rolled back)" "says what it closed"
is "$(lab_run jq -c '.breaker.open' /var/lib/remedy/unattended.json)" false "the state: closed"
is "$(entries $reset | wc -l)" 2 "the journal has both resets"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
