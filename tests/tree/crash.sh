#!/bin/bash
# SPDX-License-Identifier: MIT
# A process killed right after each of its filesystem mutations in turn, and an I/O error at each
# of them: every time, the node ends up byte for byte as it was — through `rollback` for a kill
# (apply refuses new work until then), by itself for an I/O error.
. "$(dirname "$0")/lib.sh"

playbooks=(cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online)
template=$(new_node broken-node)
before=$(snapshot "$template")

n=1
while :; do
        node="$WORK/kill-$n"; rm -rf "$node"; cp -a "$template" "$node"
        store="$WORK/kill-store-$n"
        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=kill REMEDY_SHIM_AT=$n \
                "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply "${playbooks[@]}" \
                >/dev/null 2>&1 && rc=0 || rc=$?
        if [ "$rc" -ne 137 ]; then
                is "$rc" 0 "apply with no kill left completes (after $((n - 1)) mutations)"
                break
        fi
        if [ -d "$store" ]; then
                run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply "${playbooks[@]}"
                if [ "$RC" -eq 2 ]; then
                        contains "$ERR" "remedy rollback" "killed after mutation $n: apply refuses and says how to resolve"
                        run --root="$node" --backup-dir="$store" rollback
                        is "$RC" 0 "killed after mutation $n: rollback resolves it"
                else
                        # Killed before the transaction was recorded (nothing changed) or after it
                        # was complete: the new apply ran; unwind the stack with rollback --last.
                        run --root="$node" --backup-dir="$store" rollback --last
                        is "$RC" 0 "killed after mutation $n: rollback --last"
                        for _ in 1 2 3; do
                                run --root="$node" --backup-dir="$store" rollback --last
                                [[ "$OUT" == "Nothing to roll back"* ]] && break
                        done
                        contains "$OUT" "Nothing to roll back" "killed after mutation $n: rollback --last unwinds every apply"
                fi
        fi
        is "$(snapshot "$node")" "$before" "killed after mutation $n: node restored identically"
        leftovers=$(find "$node" -name '.#remedy.*' | head -3)
        is "$leftovers" "" "killed after mutation $n: no temporary files left in the node"
        n=$((n + 1))
        [ $n -le 200 ] || { ok 1 "too many mutations"; break; }
done
total=$((n - 1))

for ((i = 1; i <= total; i++)); do
        node="$WORK/eio-$i"; rm -rf "$node"; cp -a "$template" "$node"
        store="$WORK/eio-store-$i"
        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=eio REMEDY_SHIM_AT=$i \
                "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply "${playbooks[@]}" \
                >"$WORK/eio-out" 2>&1 && rc=0 || rc=$?
        if [ "$rc" -eq 0 ]; then
                # The failed call was one whose failure remedy tolerates (cleanup); the apply is
                # complete and consistent: roll it back to compare.
                run --root="$node" --backup-dir="$store" rollback --last
        else
                is "$rc" 1 "I/O error at mutation $i: apply fails with exit status 1"
        fi
        is "$(snapshot "$node")" "$before" "I/O error at mutation $i: node as it was"
done

# The data itself: each write to a regular file in turn fails with EIO, then with ENOSPC (a
# disk that fills up while an archive or a file is written), and each fsync with EIO (the data
# did not reach the disk). apply fails and puts the node back, or the failure was in a cleanup it
# tolerates and the apply is complete; either way the node ends as it was.
for mode in eio-write enospc-write eio-fsync; do
        node="$WORK/$mode-count"; rm -rf "$node"; cp -a "$template" "$node"
        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=$mode REMEDY_SHIM_AT=0 REMEDY_SHIM_REPORT="$WORK/$mode-total" \
                "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/$mode-count-store" \
                apply "${playbooks[@]}" >/dev/null 2>&1
        data_total=$(cat "$WORK/$mode-total")
        ok "$( [ "$data_total" -gt 3 ]; echo $?)" "$mode: apply makes calls to fault ($data_total)"
        failures=0
        for ((i = 1; i <= data_total; i++)); do
                node="$WORK/$mode-$i"; rm -rf "$node"; cp -a "$template" "$node"
                store="$WORK/$mode-store-$i"
                LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=$mode REMEDY_SHIM_AT=$i \
                        "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" \
                        apply "${playbooks[@]}" >"$WORK/data-out" 2>&1 && rc=0 || rc=$?
                case "$rc" in
                0) "$REMEDY" --root="$node" --backup-dir="$store" rollback --last >/dev/null 2>&1 ||
                        { failures=$((failures + 1)); echo "# $mode at $i: rollback of the completed apply failed"; } ;;
                1) ;;
                *) failures=$((failures + 1)); echo "# $mode at $i: exit $rc"; tail -3 "$WORK/data-out" | sed 's/^/#   /' ;;
                esac
                if [ "$(snapshot "$node")" != "$before" ]; then
                        failures=$((failures + 1))
                        echo "# $mode at $i (exit $rc): the node is not as it was"
                fi
                rm -rf "$node" "$store"
        done
        is "$failures" 0 "$mode at each of the $data_total calls: the node ends as it was"
done

# The same faults in rollback: a rollback that fails part-way is finished by the next one.
applied="$WORK/rollback-applied"; rm -rf "$applied"; cp -a "$template" "$applied"
"$REMEDY" --root="$applied" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/rollback-store" apply "${playbooks[@]}" >/dev/null 2>&1
for mode in eio-write eio-fsync; do
        node="$WORK/rb-count"; rm -rf "$node" "$WORK/rb-count-store"; cp -a "$applied" "$node"; cp -a "$WORK/rollback-store" "$WORK/rb-count-store"
        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=$mode REMEDY_SHIM_AT=0 REMEDY_SHIM_REPORT="$WORK/rb-$mode-total" \
                "$REMEDY" --root="$node" --backup-dir="$WORK/rb-count-store" rollback --last >/dev/null 2>&1
        data_total=$(cat "$WORK/rb-$mode-total")
        ok "$( [ "$data_total" -gt 3 ]; echo $?)" "rollback, $mode: calls to fault ($data_total)"
        failures=0
        for ((i = 1; i <= data_total; i++)); do
                node="$WORK/rb-$mode-$i"; store="$WORK/rb-$mode-store-$i"
                rm -rf "$node" "$store"; cp -a "$applied" "$node"; cp -a "$WORK/rollback-store" "$store"
                LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=$mode REMEDY_SHIM_AT=$i \
                        "$REMEDY" --root="$node" --backup-dir="$store" rollback --last >"$WORK/data-out" 2>&1 && rc=0 || rc=$?
                if [ "$rc" -ne 0 ] && ! "$REMEDY" --root="$node" --backup-dir="$store" rollback --last >"$WORK/data-out2" 2>&1 &&
                        ! "$REMEDY" --root="$node" --backup-dir="$store" rollback >>"$WORK/data-out2" 2>&1; then
                        failures=$((failures + 1)); echo "# rollback, $mode at $i: a second rollback did not finish it"
                        tail -3 "$WORK/data-out" "$WORK/data-out2" | sed 's/^/#   /'
                fi
                if [ "$(snapshot "$node")" != "$before" ]; then
                        failures=$((failures + 1))
                        echo "# rollback, $mode at $i (exit $rc): the node is not as it was"
                fi
                rm -rf "$node" "$store"
        done
        is "$failures" 0 "rollback, $mode at each of the $data_total calls: the node ends as it was"
done

# A backup store on a file system without O_TMPFILE (9p, NFS, overlayfs before Linux 6.6): the
# archive is written under a hidden name instead, which is gone once the transaction is recorded.
node="$WORK/no-tmpfile"; rm -rf "$node"; cp -a "$template" "$node"
store="$WORK/no-tmpfile-store"
# What a writer killed mid-way leaves: removed by the next one to take the store's lock.
mkdir -p -m 0700 "$store"
printf 'stale' >"$store/.archive-00000000deadbeef.tmp"
printf 'stale' >"$store/.20260101T000000Z-abcdef.json.0123456789abcdef.tmp"
LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_NO_TMPFILE=1 \
        "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply "${playbooks[@]}" \
        >"$WORK/no-tmpfile-out" 2>&1 && rc=0 || rc=$?
is "$rc" 0 "without O_TMPFILE: apply completes"
[ "$(snapshot "$node")" != "$before" ]; ok $? "without O_TMPFILE: the node was changed"
is "$(find "$store" -name '.*.tmp')" "" "without O_TMPFILE: no hidden temporary file left in the store, nor the stale ones"
is "$(find "$store" -name '*.tar.zst' | wc -l)" 1 "without O_TMPFILE: the archive has its name"
LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_NO_TMPFILE=1 \
        "$REMEDY" --no-color --root="$node" --backup-dir="$store" rollback --last >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 0 "without O_TMPFILE: rollback completes"
is "$(snapshot "$node")" "$before" "without O_TMPFILE: node restored identically"

done_testing
