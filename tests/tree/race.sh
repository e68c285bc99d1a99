#!/bin/bash
# SPDX-License-Identifier: MIT
# Confinement under a race: while apply and rollback run, race-swap exchanges ROOT/etc/containerd
# with a symlink to a directory outside the root, as fast as it can. Whatever each run then does
# (succeed, refuse, fail on a symlink it met), nothing outside the root may change: a write by
# path name that checked the parents first and then followed the swapped link would put
# config.toml, or a temporary beside it, in the outside directory.
. "$(dirname "$0")/lib.sh"

iterations=${RACE_ITERATIONS:-300}
: "${RACE_SWAP:?RACE_SWAP: the race-swap helper}"
node=$(new_node broken-node)
# The swapper renames whatever it is given: never anything but this test's own copy.
case "$node" in "$WORK"/broken-node-*) ;; *) echo "Bail out! no node copy ($node)"; exit 1 ;; esac
store="$WORK/store"
outside="$WORK/outside"
mkdir "$outside" && cp -a "$node/etc/containerd/." "$outside/"
ln -s "$outside" "$node/etc/containerd.swap"
outside_before=$(cd "$outside" && find . -printf '%p %y %m %s %T@\n' | sort && find . -type f -exec sha256sum {} + | sort)

swapper=
trap '[ -z "$swapper" ] || kill -TERM "$swapper" 2>/dev/null; rm -rf "$WORK"' EXIT
start_swapping() {
        "$RACE_SWAP" "$node/etc/containerd" "$node/etc/containerd.swap" "${RACE_HOLD_REAL:-200}" "${RACE_HOLD_LINK:-0}" >"$WORK/swaps" 2>"$WORK/swap-errors" &
        swapper=$!
}
stop_swapping() {
        kill -TERM "$swapper" && wait "$swapper"
        swapper=
        swaps=$((swaps + $(cat "$WORK/swaps" 2>/dev/null || echo 0)))
}

# A run the race interrupted can leave a transaction failed, which blocks the next apply until
# it is rolled back, as the error says: do that without the race, as an operator would.
resolve() {
        local k id
        for k in 1 2 3 4 5; do
                run --root="$node" --backup-dir="$store" rollback --last --force
                id=$(sed -n 's/.*run "remedy rollback \([^"]*\)".*/\1/p' <<<"$ERR")
                [ -n "$id" ] || return 0
                run --root="$node" --backup-dir="$store" rollback "$id" --force
        done
}

swaps=0
rolled_back=0
applied=0
for ((i = 0; i < iterations; i++)); do
        # Apply under the race, then roll back under the race (forced: a config the race made
        # look different must not stop the rollback before it reaches the write).
        start_swapping
        run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply --no-rollback cgroup-driver-systemd
        stop_swapping
        [ "$RC" -eq 0 ] && applied=$((applied + 1))
                start_swapping
        run --root="$node" --backup-dir="$store" rollback --last --force
        stop_swapping
        grep -q "^Rolled back" <<<"$OUT" && [ "$RC" -eq 0 ] && rolled_back=$((rolled_back + 1))
        resolve
done

test -d "$node/etc/containerd" -a -L "$node/etc/containerd.swap"; ok $? "the swapper left both paths as they were"
is "$(cat "$WORK/swap-errors")" "" "the swapper never failed"
outside_after=$(cd "$outside" && find . -printf '%p %y %m %s %T@\n' | sort && find . -type f -exec sha256sum {} + | sort)
is "$outside_after" "$outside_before" "nothing outside the root changed in $iterations rounds ($swaps swaps)"
test "$applied" -gt 0; ok $? "apply got through under the race ($applied of $iterations)"
test "$rolled_back" -gt 0; ok $? "rollback got through under the race ($rolled_back of $iterations)"
done_testing
