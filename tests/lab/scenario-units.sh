#!/bin/bash
# SPDX-License-Identifier: MIT
# Unit steps and their undo beyond the seed playbooks, on a unit of the test's own:
# - mask + stop, an explicit daemon-reload, rolled back to unmasked, enabled and running;
# - a drop-in that makes the unit fail, then a restart: the job fails, remedy says so in plain
#   words, and the automatic rollback removes the drop-in, reloads and restarts the unit on its
#   old configuration;
# - a unit file written by one step, enabled and started by the next (systemd has never seen it
#   when the plan is made), rolled back to nothing.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

PLAYBOOKS=$FIXTURES/playbooks/lab
worker=lab-worker.service

lab_setup || exit 1
lab_cni_config || exit 1
# Where packages put their units: /etc/systemd/system/NAME is where the mask link goes (systemctl
# refuses to mask over a unit file there, and so does remedy).
cat >"$LAB_ROOT/lib/systemd/system/$worker" <<'UNIT'
[Unit]
Description=remedy lab: a long-running worker
[Service]
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
UNIT
ln -s "/lib/systemd/system/$worker" "$LAB_ROOT/etc/systemd/system/multi-user.target.wants/$worker"
lab_boot || exit 1
lab_wait_unit $worker active 10
ok $? "the worker runs"
inv0=$(lab_unit_prop $worker InvocationID)

# 1. mask + stop, and back
node_remedy plan worker-mask --root=/
contains "$OUT" "offline (--root): not stopped" "offline, the stop is not done"
node_remedy --machine=.host plan worker-mask
is "$RC" 0 "--machine=.host: plan exits 0 (machined gives the root, the machine's bus the state)"
contains "$OUT" "stop (now active/running)" "--machine=.host: the state came over that bus"
node_remedy --machine=no-such-node plan worker-mask
is "$RC" 2 "--machine with an unknown name exits 2"
contains "$ERR" "no-such-node" "and names the machine"
node_remedy plan worker-mask
is "$RC" 0 "plan exits 0"
contains "$OUT" "mask: /etc/systemd/system/$worker → /dev/null" "plan shows the mask link"
contains "$OUT" "stop (now active/running)" "plan shows the stop, from the state on the bus"
node_remedy apply worker-mask
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(unit_states $worker)" "$worker masked inactive" "systemd: masked and stopped"
contains "$OUT" "passed  verify unit: $worker is inactive" "the check saw it stopped"
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(unit_states $worker)" "$worker enabled active" "systemd: enabled and running again"
ok "$( [ ! -e "$LAB_ROOT/etc/systemd/system/$worker" ]; echo $?)" "the mask link is gone"
ok "$( [ "$(lab_unit_prop $worker InvocationID)" != "$inv0" ]; echo $?)" "it was started anew"

# 2. a failing job rolls back
inv1=$(lab_unit_prop $worker InvocationID)
node_remedy apply worker-break
is "$RC" 1 "apply exits 1: the restart failed"
contains "$OUT" "restart job failed" "the report says the restart job failed"
contains "$OUT" "journalctl -u $worker" "and where to look"
ok "$( [ ! -e "$LAB_ROOT/etc/systemd/system/$worker.d/50-break.conf" ]; echo $?)" "the drop-in was removed"
lab_wait_unit $worker active 10
ok $? "the worker runs again on its old configuration"
is "$(lab_unit_prop $worker ExecStartPre)" "" "systemd has the old configuration (no ExecStartPre)"
is "$(lab_unit_prop $worker NeedDaemonReload)" no "no daemon-reload is left pending"
ok "$( [ "$(lab_unit_prop $worker InvocationID)" != "$inv1" ]; echo $?)" "it was restarted after the rollback"
is "$(last_txn_state)" rolled-back "the manifest says rolled-back"

# 3. a unit written, enabled and started in one transaction
node_remedy plan worker-enable
is "$RC" 0 "plan of a unit systemd has not seen yet exits 0"
contains "$OUT" "daemon-reload, then start (now inactive)" "plan: reload before the start"
node_remedy apply worker-enable
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(unit_states lab-extra.service)" "lab-extra.service enabled active" "systemd: the new unit is enabled and running"
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
ok "$( [ ! -e "$LAB_ROOT/etc/systemd/system/lab-extra.service" ] &&
       [ ! -e "$LAB_ROOT/etc/systemd/system/multi-user.target.wants/lab-extra.service" ]; echo $?)" \
        "the unit file and its link are gone"
is "$(lab_unit_prop lab-extra.service ActiveState)" inactive "the unit is stopped"
is "$(lab_unit_prop lab-extra.service LoadState)" not-found "systemd no longer knows it"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
