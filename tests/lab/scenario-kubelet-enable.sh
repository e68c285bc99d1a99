#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.6: a joined node's kubelet stopped by hand (inactive, Result=success), then
# disabled and masked. kubelet-enable unmasks, enables and starts it over the bus and verifies it
# stays up; rollback puts the links and the stopped state back. Judged through systemd (systemctl,
# unit properties) and the journal, not remedy's report.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

links=(/etc/systemd/system/multi-user.target.wants/kubelet.service /etc/systemd/system/kubelet.service)

lab_setup || exit 1
lab_cni_config || exit 1
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
ok $? "the healthy node: the kubelet runs"

# Stopped by hand.
lab_run systemctl stop kubelet.service
is "$(lab_unit_prop kubelet.service ActiveState)/$(lab_unit_prop kubelet.service Result)" inactive/success \
        "the broken node: the kubelet is inactive with Result=success (stopped, not failed)"
node_findings
is "$FOUND" kubelet-enable "stopped by hand: diagnose names kubelet-enable, and nothing else"
contains "$DIAG_OUT" "kubelet.service is inactive (dead) with result success" "with the unit's state as evidence"
states_before=$(unit_states kubelet.service)
cursor=$(journal_cursor)
node_remedy apply kubelet-enable
is "$RC" 0 "apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
stays_up kubelet.service 3
ok $? "the kubelet is up and stays up"
contains "$(journal_after "$cursor" kubelet.service)" "Started kubelet" "the kubelet logged that it started"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(unit_states kubelet.service)" "$states_before" "rollback: the kubelet is stopped again, still enabled"

# Disabled and masked.
lab_run systemctl disable --now kubelet.service >/dev/null 2>&1
lab_run systemctl mask kubelet.service >/dev/null 2>&1
is "$(lab_run systemctl is-enabled kubelet.service)" masked "the broken node: kubelet.service is masked"
before=$(node_sha256 "${links[@]}")
states_before=$(unit_states kubelet.service)
node_findings
is "$FOUND" kubelet-enable "masked: diagnose names kubelet-enable, and nothing else"
node_remedy plan kubelet-enable
is "$RC" 0 "plan exits 0"
contains "$OUT" "unmask" "plan says it unmasks"
is "$(node_sha256 "${links[@]}")" "$before" "plan changed no link"
node_remedy apply kubelet-enable
is "$RC" 0 "masked: apply exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
is "$(lab_run systemctl is-enabled kubelet.service)" enabled "masked: systemctl is-enabled says enabled"
stays_up kubelet.service 3
ok $? "masked: the kubelet is up and stays up"
node_remedy apply kubelet-enable
contains "$OUT" "Nothing to do" "a second apply changes nothing"
node_remedy rollback --last
is "$RC" 0 "masked: rollback exits 0"
is "$(node_sha256 "${links[@]}")" "$before" "masked: rollback restored the links byte for byte (the mask back, the wants link gone)"
is "$(unit_states kubelet.service)" "$states_before" "masked: unit file state and active state as before"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
