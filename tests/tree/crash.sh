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
