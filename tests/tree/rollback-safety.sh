#!/bin/bash
# SPDX-License-Identifier: MIT
# Rollback loses nothing and never crashes:
# - a transaction with directories at the top of the root rolls back (it once crashed in the
#   root's canonicalisation of "/"), automatically when verification fails and by hand;
# - a later transaction on the same file is not thrown away: rollback refuses, naming it, or
#   --cascade rolls both back, newest first;
# - a hand edit made since is not overwritten without --force, and then it is archived: the
#   rollback is a transaction of its own, and rolling it back brings the edit back;
# - rollback --last unwinds the stack of applies, then says there is nothing left;
# - one remedy per node whichever backup store each uses, and a transaction left half-applied in
#   one store blocks an apply through another;
# - a transaction prepared and never begun does not block the node: it is marked abandoned;
# - a rollback killed after any of its mutations leaves a state from which the next rollback
#   completes.
. "$(dirname "$0")/lib.sh"

# ---- Directories at the top of the root ----
node=$(new_node broken-node)
before=$(snapshot "$node")
store="$WORK/store-top"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cni-placeholder --set conf_dir=/newtop/net.d
is "$RC" 0 "apply with a conf_dir at the top of the root"
test -f "$node/newtop/net.d/zz-remedy-placeholder.conflist"; ok $? "the conflist was written under /newtop"
run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback of a transaction that created /newtop exits 0"
is "$(snapshot "$node")" "$before" "the node is as before: /newtop is gone"
contains "$OUT" "remove-directory /newtop/net.d" "the listing keeps a space after a long action name"

# Verification fails (no bridge plugin): the automatic rollback must remove /newtop too.
node=$(new_node broken-node)
rm "$node/opt/cni/bin/bridge"
before=$(snapshot "$node")
store="$WORK/store-top-verify"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cni-placeholder --set conf_dir=/newtop/net.d
is "$RC" 1 "apply whose verification fails exits 1"
contains "$OUT" "rolled back" "it says it rolled back"
is "$(snapshot "$node")" "$before" "the automatic rollback restored the node: /newtop is gone"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-strip-flags
is "$RC" 0 "the next apply is not blocked"


id_of() {   # the transaction ID in apply's last line
        sed -n 's/.*Backup: \([^ ]*\) .*/\1/p' <<<"$1"
}
state_of() {   # state_of NODE STORE ID
        "$REMEDY" --root="$1" --backup-dir="$2" --json backups show "$3" | jq -r .state
}

# ---- Two transactions on one file ----
node=$(new_node broken-node)
before=$(snapshot "$node")
store="$WORK/store-two"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cgroup-driver-systemd
first=$(id_of "$OUT")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-allow-swap
second=$(id_of "$OUT")
test -n "$first" -a -n "$second"; ok $? "two applies on /var/lib/kubelet/config.yaml ($first, $second)"
both=$(snapshot "$node")
run --root="$node" --backup-dir="$store" rollback "$first"
is "$RC" 2 "rollback of the first while the second is applied: refused (exit 2)"
contains "$ERR" "/var/lib/kubelet/config.yaml was changed since by transaction $second" "it names the path and the later transaction"
contains "$ERR" "--cascade" "and says how to roll back both"
is "$(snapshot "$node")" "$both" "nothing was changed"
is "$(state_of "$node" "$store" "$second")" "applied" "the second is still applied"
run --root="$node" --backup-dir="$store" rollback --cascade "$first"
is "$RC" 0 "rollback --cascade exits 0"
contains "$OUT" "--cascade: rolling back $second first" "it rolls the later one back first"
is "$(snapshot "$node")" "$before" "both rolled back: the node is as before the first"
is "$(state_of "$node" "$store" "$first")/$(state_of "$node" "$store" "$second")" "rolled-back/rolled-back" "both marked rolled-back"

# Rolling back the second alone, then the first, needs no cascade.
node=$(new_node broken-node)
before=$(snapshot "$node")
store="$WORK/store-two-b"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cgroup-driver-systemd
first=$(id_of "$OUT")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-allow-swap
second=$(id_of "$OUT")
run --root="$node" --backup-dir="$store" rollback "$second"
is "$RC" 0 "rollback of the second exits 0"
run --root="$node" --backup-dir="$store" rollback "$first"
is "$RC" 0 "then the first rolls back: its own change is what the node has again"
is "$(snapshot "$node")" "$before" "the node is as before the first"
run --root="$node" --backup-dir="$store" rollback "$first"
is "$RC" 0 "rolling back a rolled-back transaction exits 0"
contains "$OUT" "already rolled back" "it says it was already rolled back"
is "$(snapshot "$node")" "$before" "and writes nothing"

# ---- A hand edit since the fix ----
node=$(new_node broken-node)
store="$WORK/store-hand"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-strip-flags
fix=$(id_of "$OUT")
is "$RC" 0 "apply kubelet-strip-flags"
printf 'KUBELET_EXTRA_ARGS="--node-labels=edited-by-hand"\n' >>"$node/etc/default/kubelet"
edited=$(snapshot "$node")
run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 2 "rollback over a hand edit: refused (exit 2)"
contains "$OUT" "changed since the transaction" "it marks the changed file"
contains "$OUT" "-KUBELET_EXTRA_ARGS=\"--node-labels=edited-by-hand\"" "and shows the diff of what would be lost"
contains "$ERR" "--force" "it says how to go on anyway"
is "$(snapshot "$node")" "$edited" "nothing was changed: the edit is still there"
run --root="$node" --backup-dir="$store" rollback --last --dry-run
is "$RC" 0 "rollback --dry-run over a hand edit exits 0"
contains "$ERR" "rollback would refuse without --force" "and says the real run would refuse"
run --root="$node" --backup-dir="$store" --json rollback --last --force
is "$RC" 0 "rollback --force exits 0"
record=$(jq -r .record <<<"$OUT")
test -n "$record" -a "$record" != null; ok $? "the rollback has its own record ($record)"
! grep -q edited-by-hand "$node/etc/default/kubelet"; ok $? "the fix and the edit are rolled back"
is "$(state_of "$node" "$store" "$fix")" "rolled-back" "the fix is marked rolled-back"
run --root="$node" --backup-dir="$store" backups list
contains "$OUT" "(rollback of $fix)" "backups list shows the record as the rollback of the fix"
run --root="$node" --backup-dir="$store" rollback "$record"
is "$RC" 0 "rolling back the rollback exits 0"
is "$(snapshot "$node")" "$edited" "the node is as it was before the rollback: fix and hand edit, byte for byte"
is "$(state_of "$node" "$store" "$fix")" "applied" "the fix is applied again"

# ---- rollback --last unwinds the stack ----
node=$(new_node broken-node)
before=$(snapshot "$node")
store="$WORK/store-stack"
for p in cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online; do
        run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply "$p"
done
ids=()
for i in 1 2 3 4; do
        run --root="$node" --backup-dir="$store" --json rollback --last
        ids+=("$(jq -r .id <<<"$OUT")")
done
is "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" 4 "four rollback --last roll back four different transactions"
is "$(printf '%s\n' "${ids[@]}")" "$(printf '%s\n' "${ids[@]}" | sort -r)" "newest first"
is "$(snapshot "$node")" "$before" "the node is as before the first apply"
run --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "a fifth rollback --last exits 0"
contains "$OUT" "Nothing to roll back" "and says there is nothing left"
is "$(snapshot "$node")" "$before" "and changes nothing"
run --root="$node" --backup-dir="$store" --json rollback --last
is "$RC/$(jq -r .nothing_to_do <<<"$OUT")" "0/true" "--json says so in JSON too"
run --root="$node" --backup-dir="$store" --json rollback "${ids[0]}"
is "$(jq -r '"\(.nothing_to_do) \(.state)"' <<<"$OUT")" "true rolled-back" "--json: already rolled back, as JSON"

# ---- One remedy per node, whichever store ----
node=$(new_node broken-node)
lock="/run/remedy/roots/$(printf '%s' "$(realpath "$node")" | sha256sum | cut -d' ' -f1).lock"
python3 - "$node" "$lock" "$WORK/locked" <<'PY' &
import fcntl, os, struct, sys, time
os.makedirs(os.path.dirname(sys.argv[2]), mode=0o700, exist_ok=True)
fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
os.pwrite(fd, b"%d\n" % os.getpid(), 0)
open(sys.argv[3], "w").close()
time.sleep(30)
PY
holder=$!
for _ in $(seq 100); do [ -e "$WORK/locked" ] && break; sleep 0.1; done
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-lock-b" apply kubelet-strip-flags
is "$RC" 2 "apply while another process holds the node's lock, through another store: refused"
contains "$ERR" "another remedy (pid $holder) is working on this node" "it names the holder"
run --root="$node" --playbooks="$PLAYBOOKS" apply kubelet-strip-flags
is "$RC" 2 "and through the default store too"
kill "$holder"; wait "$holder" 2>/dev/null
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-lock-b" apply kubelet-strip-flags
is "$RC" 0 "once the lock is released, the apply runs"

# ---- A transaction left half-applied in another store ----
template=$(new_node broken-node)
for n in $(seq 3 40); do
        node="$WORK/half-$n"; rm -rf "$node"; cp -a "$template" "$node"
        store="$WORK/half-store-$n"; rm -rf "$store"
        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=kill REMEDY_SHIM_AT=$n \
                "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cgroup-driver-systemd \
                >/dev/null 2>&1
        # Left applying, with the store recorded in the node (a kill between the two leaves a
        # transaction that changed nothing yet; see README).
        [ -d "$store" ] && "$REMEDY" --root="$node" --backup-dir="$store" --json backups list |
                jq -e '.backups[] | select(.state == "applying")' >/dev/null &&
                grep -qxF "$store" "$node/var/lib/remedy/stores" 2>/dev/null && break
done
half=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/half-other" apply kubelet-strip-flags
is "$RC" 2 "apply through another store while a transaction is left applying: refused"
contains "$ERR" "--backup-dir=$store rollback" "it names the store that holds it"
run --root="$node" --playbooks="$PLAYBOOKS" apply kubelet-strip-flags
is "$RC" 2 "and through the default store"
is "$(snapshot "$node")" "$half" "nothing was changed"
run --root="$node" --backup-dir="$store" rollback
is "$RC" 0 "rollback in that store resolves it"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/half-other" apply kubelet-strip-flags
is "$RC" 0 "then the apply runs"

# ---- Prepared and never begun ----
template=$(new_node broken-node)
found=
for i in $(seq 1 40); do
        node="$WORK/prep-$i"; rm -rf "$node"; cp -a "$template" "$node"
        store="$WORK/prep-store-$i"
        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=eio REMEDY_SHIM_AT=$i \
                "$REMEDY" --no-color --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cgroup-driver-systemd \
                >/dev/null 2>&1
        if [ -d "$store" ] && "$REMEDY" --root="$node" --backup-dir="$store" --json backups list |
                        jq -e '.backups[] | select(.state == "prepared")' >/dev/null; then
                found=$i; break
        fi
done
test -n "$found"; ok $? "an I/O error leaves a transaction prepared (at mutation $found)"
is "$(snapshot "$node")" "$(snapshot "$template")" "and nothing was changed"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply cgroup-driver-systemd
is "$RC" 0 "the next apply is not blocked by it"
contains "$ERR" "never began" "it says why"
contains "$ERR" "marked abandoned" "and what it did"
is "$("$REMEDY" --root="$node" --backup-dir="$store" --json backups list | jq -r '[.backups[].state] | join(",")')" \
        "abandoned,applied" "the store holds one abandoned and one applied transaction"

# ---- A rollback killed part-way ----
template=$(new_node broken-node)
pristine=$(snapshot "$template")
n=1
while :; do
        node="$WORK/kill-rb-$n"; rm -rf "$node" "$node-store"; cp -a "$template" "$node"
        "$REMEDY" --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$node-store" \
                apply cgroup-driver-systemd cni-placeholder kubelet-strip-flags kubelet-wait-online >/dev/null 2>&1 ||
                ok 1 "apply for the killed rollback at mutation $n"
        LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE=kill REMEDY_SHIM_AT=$n \
                "$REMEDY" --no-color --root="$node" --backup-dir="$node-store" rollback --last >/dev/null 2>&1 && rc=0 || rc=$?
        [ "$rc" -eq 137 ] || break
        # Resolve what the kill left (if anything), then unwind what is still applied.
        run --root="$node" --backup-dir="$node-store" rollback
        [ "$RC" -eq 0 ] || contains "$ERR" "no interrupted transaction" "killed rollback at mutation $n: nothing to resolve, or resolved"
        for _ in 1 2 3; do
                run --root="$node" --backup-dir="$node-store" rollback --last
                [[ "$OUT" == "Nothing to roll back"* ]] && break
        done
        is "$RC/$(snapshot "$node")" "0/$pristine" "killed rollback at mutation $n: the next rollbacks complete it, node as before"
        n=$((n + 1))
        [ $n -le 200 ] || { ok 1 "too many mutations"; break; }
done
is "$rc" 0 "a rollback with no kill left completes (after $((n - 1)) mutations)"

done_testing
