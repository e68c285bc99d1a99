#!/bin/bash
# SPDX-License-Identifier: MIT
# fix --unattended offline (--root): only auto playbooks; the cooldown and the daily budget per
# playbook; the breaker a rolled-back fix opens, which stops every unattended fix until fix
# --reset; the state file (ROOT/var/lib/remedy/unattended.json) root's, 0600, never followed
# through a symlink, and a bad one refused with a line naming it, nothing changed. The state is
# read with jq, and written by hand where a test needs attempts in the past (no clock is moved).
. "$(dirname "$0")/lib.sh"

state=var/lib/remedy/unattended.json
swap_on() { grep -q '^/swap.img' "$1/etc/fstab"; }
# Swap back as the sample had it: the fstab line, and no mask of its unit.
rebreak() { sed -i 's|^#/swap.img|/swap.img|' "$1/etc/fstab"; rm -f "$1/etc/systemd/system/swap.img.swap"; }

# swap-off as an auto playbook, and a copy whose verification can never pass (it wants swap on
# after turning it off): each apply of it is rolled back.
mkdir -p "$WORK/auto" "$WORK/failing"
sed 's/^safety: confirm/safety: auto/' "$PLAYBOOKS/swap-off.yaml" >"$WORK/auto/swap-off.yaml"
sed -e 's/^safety: confirm/safety: auto/' -e 's/^  - swap: {on: false, fstab:/  - swap: {on: true, fstab:/' \
        "$PLAYBOOKS/swap-off.yaml" >"$WORK/failing/swap-off.yaml"
grep -q '^  - swap: {on: true' "$WORK/failing/swap-off.yaml" || echo "Bail out! the failing copy's verify was not changed"

node=$(healthy_sample_node swap)
fix() { run --root="$node" --playbooks="$1" --backup-dir="$WORK/store" fix --unattended "${@:2}" </dev/null; }

# Applied, and remembered.
fix "$WORK/auto"
is "$RC" 0 "an auto playbook is applied unattended: exit 0"
ok "$(swap_on "$node"; [ $? -ne 0 ]; echo $?)" "swap-off applied"
contains "$ERR" "swap-off applied and verified" "and says so"
is "$(stat -c '%a %u %F' "$node/$state")" "600 0 regular file" "the state file is root's, 0600"
is "$(jq '.playbooks["swap-off"].attempts | length' "$node/$state")" 1 "one attempt recorded"
is "$(jq '.breaker.open' "$node/$state")" false "the breaker is closed"

# The cooldown: the same failure right away is not fixed again.
rebreak "$node"
before=$(snapshot "$node")
fix "$WORK/auto"
is "$RC" 1 "within the cooldown: exit 1 (the node still has the failure)"
ok "$(grep -qE 'swap-off found, not applied: applied [0-9]s ago, within the cooldown \(--cooldown=600s\)' <<<"$ERR"; echo $?)" "says why"
is "$(snapshot "$node")" "$before" "nothing changed"
fix "$WORK/auto" --cooldown=0
is "$RC" 0 "--cooldown=0: applied again"
is "$(jq '.playbooks["swap-off"].attempts | length' "$node/$state")" 2 "two attempts recorded"

# The daily budget: --max-attempts=2 is used up.
rebreak "$node"
before=$(snapshot "$node")
fix "$WORK/auto" --cooldown=0 --max-attempts=2
is "$RC" 1 "after 2 attempts with --max-attempts=2: exit 1"
contains "$ERR" "swap-off found, not applied: 2 attempts in the last 24 hours (--max-attempts=2)" "says why"
is "$(snapshot "$node")" "$before" "nothing changed"

# Attempts older than a day do not count, nor a cooldown that has passed: written by hand, an
# attempt 25 hours ago and one 2 hours ago, a budget of 2 and a cooldown of 1 hour.
now=$(date +%s)
printf '{"version": 1, "playbooks": {"swap-off": {"attempts": [%d, %d]}}}\n' $((now - 90000)) $((now - 7200)) >"$node/$state"
fix "$WORK/auto" --cooldown=1h --max-attempts=2
is "$RC" 0 "an attempt older than 24 hours is not counted, a cooldown of 1h after 2h has passed: applied"
contains "$ERR" "attempt 2 of 2 today" "counted as the second of the day"
is "$(jq -c '.playbooks["swap-off"].attempts | length' "$node/$state")" 2 "the attempt older than a day is dropped from the file"
rebreak "$node"
printf '{"version": 1, "playbooks": {"swap-off": {"attempts": [%d]}}}\n' $((now - 1800)) >"$node/$state"
fix "$WORK/auto" --cooldown=1h
is "$RC" 1 "an attempt 30 minutes ago with --cooldown=1h: not applied"
contains "$ERR" "within the cooldown (--cooldown=3600s)" "the cooldown says so"

# confirm is only reported, even with --yes.
rebreak "$node"
printf '{"version": 1}\n' >"$node/$state"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" fix --unattended --yes </dev/null
is "$RC" 1 "a confirm finding unattended, even with --yes: exit 1"
contains "$ERR" "swap-off found, only reported: its safety is confirm" "only reported"
is "$(snapshot "$node")" "$before" "nothing changed"

# The breaker: a fix rolled back opens it, for every playbook, until fix --reset.
fix "$WORK/failing" --cooldown=0 --metrics-textfile="$WORK/u.prom"
is "$RC" 1 "a fix whose verification fails: exit 1"
contains "$OUT" "was rolled back" "it was rolled back"
ok "$(swap_on "$node"; echo $?)" "the fstab's swap line is back"
contains "$ERR" "the breaker is open, unattended runs apply nothing until remedy fix --reset" "the breaker opens, and says so"
is "$(jq -c '[.breaker.open, .breaker.playbooks]' "$node/$state")" '[true,["swap-off"]]' "the state: open, naming the fix"
contains "$(cat "$WORK/u.prom")" "remedy_unattended_breaker_open 1" "metrics: breaker open"
contains "$(cat "$WORK/u.prom")" 'remedy_unattended_decision{playbook="swap-off",decision="rolled-back"} 1' "metrics: the decision"
before=$(snapshot "$node")
fix "$WORK/auto" --cooldown=0 --metrics-textfile="$WORK/u.prom"
is "$RC" 1 "breaker open: a good auto fix is not applied either, exit 1"
contains "$ERR" "swap-off found, not applied: the breaker is open since a fix (swap-off) was rolled back" "says why"
is "$(snapshot "$node")" "$before" "nothing changed"
contains "$(cat "$WORK/u.prom")" 'remedy_unattended_decision{playbook="swap-off",decision="skipped-breaker"} 1' "metrics: skipped for the breaker"
run --root="$node" fix --reset --metrics-textfile="$WORK/u.prom"
is "$RC" 0 "fix --reset: exit 0"
contains "$ERR" "the breaker is closed (it opened when swap-off was rolled back)" "says what it closed"
is "$(jq -c '[.breaker.open, (.playbooks | length)]' "$node/$state")" '[false,0]' "the state: closed, attempts forgotten"
contains "$(cat "$WORK/u.prom")" "remedy_unattended_breaker_open 0" "metrics: breaker closed"
fix "$WORK/auto"
is "$RC" 0 "after the reset the fix is applied again"
ok "$(swap_on "$node"; [ $? -ne 0 ]; echo $?)" "swap-off applied"

# A bad state file: one line naming it, exit 2, nothing changed; fix --reset replaces it.
rebreak "$node"
before=$(snapshot "$node")
printf '{"version": 1,\n "breaker": {"open": tru}}\n' >"$node/$state"
fix "$WORK/auto"
is "$RC" 2 "a state file that is not JSON: exit 2"
contains "$ERR" "$node/$state:2: " "the error names the file and line"
is "$(snapshot "$node")" "$before" "nothing changed"
printf '{"version": 1, "playbooks": {"swap-off": {"attempts": ["yesterday"]}}}\n' >"$node/$state"
fix "$WORK/auto"
is "$RC" 2 "an attempt that is not a time: exit 2"
contains "$ERR" '"playbooks.swap-off.attempts" is not a list of times in seconds' "naming the field"
printf '{"breaker": {"open": false}}\n' >"$node/$state"
fix "$WORK/auto"
is "$RC" 2 "no version: exit 2"
printf '{"version": 1}\n' >"$WORK/elsewhere.json"
rm -f "$node/$state"
ln -s "$WORK/elsewhere.json" "$node/$state"
fix "$WORK/auto"
is "$RC" 2 "a symlink at the state file: exit 2"
is "$(snapshot "$node")" "$before" "nothing changed"
printf '{"version": 1}\n' >"$node/$state.new" && chmod 0666 "$node/$state.new" && mv -f "$node/$state.new" "$node/$state"
fix "$WORK/auto"
is "$RC" 2 "a world-writable state file: exit 2"
contains "$ERR" "not a regular file of root's that only root can write" "says why"
rm -f "$node/$state"
ln -s "$WORK/elsewhere.json" "$node/$state"
run --root="$node" fix --reset
is "$RC" 0 "fix --reset replaces a symlink"
is "$(stat -c %F "$node/$state")" "regular file" "with a file"
is "$(cat "$WORK/elsewhere.json")" '{"version": 1}' "not writing through the link"

# /var/lib/remedy a symlink: refused, nothing written where it points.
node2=$(healthy_sample_node swap)
mkdir -p "$WORK/outside"
rm -rf "$node2/var/lib/remedy"
ln -s "$WORK/outside" "$node2/var/lib/remedy"
run --root="$node2" --playbooks="$WORK/auto" --backup-dir="$WORK/store2" fix --unattended
is "$RC" 2 "/var/lib/remedy a symlink: exit 2"
is "$(ls -A "$WORK/outside")" "" "nothing written through it"
ok "$(swap_on "$node2"; echo $?)" "nothing applied"

# Options that do not go together, and bad values.
run --root="$node" --playbooks="$WORK/auto" fix --unattended --dry-run
is "$RC" 2 "--unattended --dry-run: exit 2"
run --root="$node" --playbooks="$WORK/auto" fix --unattended --no-rollback
is "$RC" 2 "--unattended --no-rollback: exit 2"
run --root="$node" fix --reset --unattended
is "$RC" 2 "--reset --unattended: exit 2"
run --root="$node" --playbooks="$WORK/auto" fix --unattended --max-attempts=0
is "$RC" 2 "--max-attempts=0: exit 2"
run --root="$node" --playbooks="$WORK/auto" fix --unattended --cooldown=soon
is "$RC" 2 "--cooldown=soon: exit 2"
contains "$ERR" '--cooldown: "soon" is not a time span' "says why"
done_testing
