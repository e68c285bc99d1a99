#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed 003: containerd starts with an empty /etc/cni/net.d and logs "no network config found".
# remedy plans, applies cni-placeholder (placeholder conflist, containerd restarted over the bus),
# verifies, and rolls back. Everything is judged through systemd and the journal.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

conflist=/etc/cni/net.d/zz-remedy-placeholder.conflist

lab_setup || exit 1
rm -rf "$LAB_ROOT/etc/cni/net.d"/*
lab_boot || exit 1
lab_wait_unit containerd.service active 20
ok $? "containerd is active"
lab_wait_journal containerd.service "no network config found in /etc/cni/net.d" 10
ok $? "the broken node: containerd logs the real 'no network config found in /etc/cni/net.d'"
inv_before=$(lab_unit_prop containerd.service InvocationID)
node_findings
is "$FOUND" cni-placeholder "diagnose names cni-placeholder, and nothing else"
contains "$DIAG_OUT" "no network config found in /etc/cni/net.d" "with containerd's line as evidence"

# plan: read-only, shows the change, touches nothing.
node_remedy plan cni-placeholder
is "$RC" 0 "plan exits 0"
contains "$OUT" "$conflist" "plan shows the placeholder it would write"
contains "$OUT" "restart (now active/running)" "plan says containerd would be restarted, from its state on the bus"
ok "$( [ ! -e "$LAB_ROOT$conflist" ] && [ ! -e "$LAB_ROOT/var/lib/remedy" ]; echo $?)" "plan wrote nothing (no conflist, no backup store)"
is "$(lab_unit_prop containerd.service InvocationID)" "$inv_before" "plan did not restart containerd"

# apply
cursor=$(journal_cursor)
node_remedy apply cni-placeholder
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
ok "$( [ -f "$LAB_ROOT$conflist" ]; echo $?)" "the placeholder conflist exists"
lab_run jq -e '.plugins[0].type == "bridge"' "$conflist" >/dev/null
ok $? "the placeholder is valid JSON with a bridge plugin (jq)"
isnt_inv=$(lab_unit_prop containerd.service InvocationID)
ok "$( [ "$isnt_inv" != "$inv_before" ]; echo $?)" "containerd was restarted (new InvocationID)"
is "$(lab_unit_prop containerd.service ActiveState)" active "containerd is active after the fix"
stays_up containerd.service 2
ok $? "containerd stays up"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
after=$(journal_after "$cursor" containerd.service)
contains "$after" "Start cni network conf syncer" "containerd's CRI plugin started again after the change"
lacks "$after" "no network config found" "containerd's journal since the change has no 'no network config found'"
is "$(last_txn_state)" applied "the transaction is recorded as applied"
units=$(jq -r '.units[] | "\(.name) \(.active_state)"' "$(ls -t "$LAB_ROOT"/var/lib/remedy/backups/*.json | head -1)")
is "$units" "containerd.service active" "the manifest recorded containerd's state before the change"

# A node already fixed: nothing to change, containerd not restarted (changed: true).
inv_fixed=$(lab_unit_prop containerd.service InvocationID)
node_remedy apply cni-placeholder
is "$RC" 0 "a second apply exits 0"
contains "$OUT" "Nothing to do" "and has nothing to do"
is "$(lab_unit_prop containerd.service InvocationID)" "$inv_fixed" "containerd was not restarted again"

# rollback
cursor=$(journal_cursor)
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
ok "$( [ ! -e "$LAB_ROOT$conflist" ]; echo $?)" "rollback removed the placeholder"
is "$(lab_unit_prop containerd.service ActiveState)" active "containerd runs again after the rollback"
inv_rb=$(lab_unit_prop containerd.service InvocationID)
ok "$( [ "$inv_rb" != "$isnt_inv" ]; echo $?)" "containerd was restarted on its old configuration"
lab_wait_journal containerd.service "no network config found" 10
contains "$(journal_after "$cursor" containerd.service)" "no network config found in /etc/cni/net.d" \
        "after the rollback containerd again finds no network config: the node is as it was"
is "$(last_txn_state)" rolled-back "the transaction is recorded as rolled back"

# The rollback is a transaction of its own, with containerd's state recorded: rolling it back puts
# the placeholder back and restarts containerd on it.
record=$(jq -r 'select(.reverts != null) | .id' "$LAB_ROOT"/var/lib/remedy/backups/*.json | tail -1)
units=$(jq -r '.units[] | "\(.name) \(.active_state)"' "$LAB_ROOT/var/lib/remedy/backups/$record.json")
is "$units" "containerd.service active" "the rollback's record holds containerd's state before the rollback"
cursor=$(journal_cursor)
inv_undo=$(lab_unit_prop containerd.service InvocationID)
node_remedy rollback "$record"
is "$RC" 0 "rolling back the rollback exits 0"
ok "$( [ -f "$LAB_ROOT$conflist" ]; echo $?)" "the placeholder is back"
ok "$( [ "$(lab_unit_prop containerd.service InvocationID)" != "$inv_undo" ]; echo $?)" "containerd was restarted"
wait_journal_after "$cursor" containerd.service "Start cni network conf syncer" 10
lacks "$(journal_after "$cursor" containerd.service)" "no network config found" "containerd runs on the placeholder again"
is "$(last_txn_state)" applied "the transaction is applied again"
node_remedy rollback --last
is "$RC" 0 "rollback --last rolls it back once more"
ok "$( [ ! -e "$LAB_ROOT$conflist" ]; echo $?)" "and the placeholder is gone"

# The real CNI arrives: the placeholder has done its job and goes, containerd reloads the real one.
node_remedy apply cni-placeholder
lab_cni_config
cursor=$(journal_cursor)
inv_real=$(lab_unit_prop containerd.service InvocationID)
node_remedy apply cni-placeholder
is "$RC" 0 "with a real config beside it, apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
ok "$( [ ! -e "$LAB_ROOT$conflist" ] && [ -f "$LAB_ROOT/etc/cni/net.d/10-lab-bridge.conflist" ]; echo $?)" \
        "the placeholder is removed, the real config stays"
ok "$( [ "$(lab_unit_prop containerd.service InvocationID)" != "$inv_real" ]; echo $?)" "containerd was restarted"
wait_journal_after "$cursor" containerd.service "Start cni network conf syncer" 10
lacks "$(journal_after "$cursor" containerd.service)" "no network config found" "containerd, restarted, finds a network config"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
