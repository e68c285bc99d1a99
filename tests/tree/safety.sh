#!/bin/bash
# SPDX-License-Identifier: MIT
# Safety classes (FAILURES.md's A, C and R as safety: auto, confirm, report): what `fix` may do
# without the operator. auto is applied unasked; confirm only with --yes or a "y" on a terminal
# (a pty made by script(1) stands for the operator's terminal); report never, and `apply` of a
# report-only playbook without steps is refused. list, show and diagnose name the class.
. "$(dirname "$0")/lib.sh"

# The sample node with its swap (seed 001) as the one fault these tests fix.
swap_node() { healthy_sample_node swap; }
swap_on() { grep -q '^/swap.img' "$1/etc/fstab"; }

# Every shipped playbook states its class; the seeds' own fixes are at most confirm.
for f in "$PLAYBOOKS"/*.yaml; do
        class=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1])).get("safety", "-"))' "$f")
        ok "$(case $class in auto|confirm|report) echo 0;; *) echo 1;; esac)" "$(basename "$f"): safety: $class"
        if grep -q '^  - .*seeds/' "$f"; then
                ok "$( [ "$class" != auto ]; echo $?)" "$(basename "$f"): a seed's fix is at most confirm"
        fi
done

run --playbooks="$PLAYBOOKS" list
contains "$OUT" "swap-off                     confirm  Turn swap off" "list shows each playbook's class"
run --playbooks="$PLAYBOOKS" --json list
is "$(jq -r '.playbooks[] | select(.name == "swap-off") | .safety' <<<"$OUT")" confirm "list --json: safety"
run --playbooks="$PLAYBOOKS" show swap-off
contains "$OUT" "safety: confirm (fix applies it with --yes, or when answered yes on a terminal)" "show explains the class"

# confirm, no terminal, no --yes: found, named, not applied; exit 1 (the node still has it).
node=$(swap_node)
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store1" diagnose
contains "$OUT" "safety:  confirm" "diagnose names the class of the finding"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store1" fix </dev/null
is "$RC" 1 "fix without --yes off a terminal: exit 1"
contains "$ERR" "swap-off found, but not fixed here: its safety is confirm; fix --yes applies it" "and says why"
is "$(snapshot "$node")" "$before" "nothing changed"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store1" fix --dry-run </dev/null
lacks "$OUT" "comments out /etc/fstab" "fix --dry-run previews what fix would do: not the confirm playbook"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store1" fix --yes </dev/null
is "$RC" 0 "fix --yes: exit 0"
ok "$(swap_on "$node"; [ $? -ne 0 ]; echo $?)" "fix --yes applied swap-off"

# On a terminal fix asks; anything but y leaves the node alone.
ask() {   # ask NODE ANSWER: runs fix on a pty, typing ANSWER
        printf '%s\n' "$2" | script -qefc "'$REMEDY' --no-color --root='$1' --playbooks='$PLAYBOOKS' --backup-dir='$WORK/store2' fix" /dev/null
}
node=$(swap_node)
before=$(snapshot "$node")
out=$(ask "$node" n 2>&1); rc=$?
contains "$out" "Apply swap-off? [y/N]" "on a terminal fix asks about a confirm playbook"
is "$rc" 1 "answered n: exit 1"
is "$(snapshot "$node")" "$before" "answered n: nothing changed"
out=$(ask "$node" y 2>&1); rc=$?
is "$rc" 0 "answered y: exit 0"
ok "$(swap_on "$node"; [ $? -ne 0 ]; echo $?)" "answered y: swap-off applied"

# auto: applied without asking.
mkdir -p "$WORK/auto"
sed 's/^safety: confirm/safety: auto/' "$PLAYBOOKS/swap-off.yaml" >"$WORK/auto/swap-off.yaml"
node=$(swap_node)
run --root="$node" --playbooks="$WORK/auto" --backup-dir="$WORK/store3" fix </dev/null
is "$RC" 0 "auto: fix applies it unasked, exit 0"
ok "$(swap_on "$node"; [ $? -ne 0 ]; echo $?)" "auto: swap-off applied"

# report: named with its advice, never applied, even with --yes; apply refuses a stepless one.
mkdir -p "$WORK/report"
cat >"$WORK/report/swap-report.yaml" <<'YAML'
name: swap-report
summary: Swap is on (reported only)
safety: report
advice: turn swap off by hand
match:
  swap: {on: true}
YAML
node=$(swap_node)
before=$(snapshot "$node")
run --root="$node" --playbooks="$WORK/report" diagnose
is "$RC" 1 "report: diagnose finds it, exit 1"
contains "$OUT" "fix:     none shipped: report only, see the advice" "and says there is no fix"
contains "$OUT" "advice: turn swap off by hand" "and gives the advice"
run --root="$node" --playbooks="$WORK/report" --json diagnose
is "$(jq -r '.findings[0].safety + " " + (.findings[0].fix | tostring)' <<<"$OUT")" "report null" "--json: safety report, fix null"
run --root="$node" --playbooks="$WORK/report" --backup-dir="$WORK/store4" fix --yes
is "$RC" 1 "report: fix --yes exits 1"
contains "$ERR" "swap-report found, report only: remedy does not fix it; turn swap off by hand" "and names it with its advice"
run --root="$node" --playbooks="$WORK/report" --backup-dir="$WORK/store4" apply swap-report
is "$RC" 2 "apply of a report-only playbook without steps: exit 2"
contains "$ERR" "swap-report is report only: it has no steps to run" "with one line saying so"
is "$(snapshot "$node")" "$before" "nothing changed"

# The language: a bad class, and a stepless playbook that is not report or has no advice.
printf 'name: x\nsafety: sometimes\nsteps:\n  - daemon-reload: {}\n' >"$WORK/bad1.yaml"
mkdir -p "$WORK/bad1" && mv "$WORK/bad1.yaml" "$WORK/bad1/x.yaml"
run --playbooks="$WORK/bad1" show x
is "$RC" 2 "safety: sometimes is refused"
contains "$ERR" "x.yaml:2:9: safety must be one of auto, confirm, report" "naming file, line and column"
mkdir -p "$WORK/bad2"
printf 'name: y\nsafety: report\n' >"$WORK/bad2/y.yaml"
run --playbooks="$WORK/bad2" show y
is "$RC" 2 "report without steps and without advice is refused"
contains "$ERR" "needs advice" "saying why"
done_testing
