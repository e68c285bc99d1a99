#!/bin/bash
# SPDX-License-Identifier: MIT
# The fault matrix, generated from the shipped playbooks: for each one, on a tree where it has
# work to do, remedy apply is killed after each of its filesystem mutations in turn, and
# separately each mutation fails with EIO and with ENOSPC. Every run ends (after `rollback` where
# the kill left a transaction, and rollback --last to unwind a completed one) with the tree byte
# for byte as it was. The tree is the first sample node where `plan --exit-code` has changes, or
# the one fault-matrix.d/PLAYBOOK.sh prepares; a playbook with neither fails the test, so that a
# new playbook is covered without new test code, or says what it needs.
. "$(dirname "$0")/lib.sh"

# unwind NODE STORE: resolves an interrupted transaction, then rolls back every applied one.
unwind() {
        local out
        out=$("$REMEDY" --no-color --root="$1" --backup-dir="$2" rollback 2>&1) ||
                grep -q "no interrupted transaction" <<<"$out" || { echo "# $out"; return 1; }
        for _ in 1 2 3 4; do
                out=$("$REMEDY" --no-color --root="$1" --backup-dir="$2" rollback --last 2>&1) || { echo "# $out"; return 1; }
                [[ "$out" == "Nothing to roll back"* ]] && return 0
        done
        return 1
}

points=0
for yaml in "$PLAYBOOKS"/*.yaml; do
        playbook=$(basename "$yaml" .yaml)
        FM_ARGS=()
        # A report-only playbook without steps changes nothing: there is no mutation to interrupt.
        if grep -q '^safety: report' "$yaml" && ! grep -q '^steps:' "$yaml"; then
                ok 0 "$playbook: report only, no steps: nothing to interrupt"
                continue
        fi
        template=
        if [ -f "$(dirname "$0")/fault-matrix.d/$playbook.sh" ]; then
                . "$(dirname "$0")/fault-matrix.d/$playbook.sh"
                mkdir -p "$WORK/fm-$playbook"
                template=$(fm_prepare "$WORK/fm-$playbook")
        else
                for t in "$FIXTURES"/nodes/*; do
                        n=$(new_node "$(basename "$t")")
                        "$REMEDY" --root="$n" --playbooks="$PLAYBOOKS" plan --exit-code "$playbook" >/dev/null 2>&1 && rc=0 || rc=$?
                        if [ "$rc" -eq 1 ]; then template=$n; break; fi
                done
        fi
        if [ -z "$template" ]; then
                ok 1 "$playbook: a tree where it has work to do (add fault-matrix.d/$playbook.sh)"
                continue
        fi
        before=$(snapshot "$template")

        for mode in kill eio enospc; do
                n=1
                failures=0
                while :; do
                        node="$WORK/fm-node"; store="$WORK/fm-store"
                        rm -rf "$node" "$store"; cp -a "$template" "$node"
                        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=$mode REMEDY_SHIM_AT=$n \
                                "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" \
                                apply "$playbook" "${FM_ARGS[@]}" >"$WORK/fm-out" 2>&1 && rc=0 || rc=$?
                        # The end of the matrix: the run no longer reaches mutation n.
                        if [ "$mode" = kill ] && [ "$rc" -ne 137 ]; then break; fi
                        if [ "$mode" != kill ] && [ "$n" -gt "$total" ]; then break; fi
                        case "$rc" in
                        0 | 137) unwind "$node" "$store" || { failures=$((failures + 1)); echo "# $mode at $n: unwinding failed"; } ;;
                        1 | 2) ;;   # failed and rolled back, or refused before any change
                        *) failures=$((failures + 1)); echo "# $mode at $n: exit $rc"; sed 's/^/#   /' "$WORK/fm-out" | tail -5 ;;
                        esac
                        if [ "$(snapshot "$node")" != "$before" ]; then
                                failures=$((failures + 1))
                                echo "# $mode at $n (exit $rc): the tree is not as it was"
                                diff <(echo "$before") <(snapshot "$node") | head -10 | sed 's/^/#   /'
                        fi
                        n=$((n + 1))
                        [ $n -le 300 ] || { failures=$((failures + 1)); break; }
                done
                [ "$mode" = kill ] && total=$((n - 1))
                points=$((points + total))
                is "$failures" 0 "$playbook: $mode after each of its $total mutations: the tree ends as it was"
        done
        [ "$total" -gt 0 ]; ok $? "$playbook: apply made mutations to fault ($total)"
done
echo "# $points fault points"

done_testing
