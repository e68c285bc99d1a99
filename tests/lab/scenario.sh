# SPDX-License-Identifier: MIT
# What the lab scenarios share: running remedy inside the node and reading what systemd and the
# journal say, independently of remedy's own report. Sourced after lab.sh.
#
# The built remedy (host path $REMEDY) and the playbooks ($PLAYBOOKS) are visible inside the node
# at the same paths: the node's / is an overlay of the host's.

# node_remedy ARGS...: runs remedy inside the node; sets OUT, ERR, RC.
node_remedy() {
        OUT=$(lab_run "$REMEDY" --no-color --playbooks="$PLAYBOOKS" "$@" 2>"$LAB_DIR/remedy.err") && RC=0 || RC=$?
        ERR=$(cat "$LAB_DIR/remedy.err")
        if [ "$RC" -ne 0 ] && [ "$RC" -ne 1 ]; then
                diag "remedy $* exited $RC"
        fi
}

diag() { echo "# $*" >&2; }

# node_findings: runs `remedy diagnose` in the node; sets FOUND to the findings it names, the
# playbooks and the advice-only ones such as join-ca-mismatch (space-separated, from --json),
# DIAG_RC to its exit status and DIAG_OUT to its text report.
node_findings() {
        DIAG_OUT=$(lab_run "$REMEDY" --no-color --playbooks="$PLAYBOOKS" diagnose 2>&1) && DIAG_RC=0 || DIAG_RC=$?
        FOUND=$(lab_run "$REMEDY" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null |
                jq -r '[.findings[].name] | join(" ")')
}

# The node journal's newest entry, to read what is logged after it.
journal_cursor() {
        lab_run journalctl -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p'
}

# journal_after CURSOR UNIT: the unit's messages logged after the cursor.
journal_after() {
        lab_run journalctl --no-pager -o cat --after-cursor="$1" -u "$2"
}

# wait_journal_after CURSOR UNIT TEXT TIMEOUT-SECONDS: waits until the unit logs TEXT after CURSOR.
wait_journal_after() {
        local i
        for ((i = 0; i < $4 * 5; i++)); do
                journal_after "$1" "$2" 2>/dev/null | grep -qF -- "$3" && return 0
                sleep 0.2
        done
        diag "no \"$3\" in the journal of $2 after the cursor within $4 s"
        return 1
}

# unit_states UNIT...: "UNIT UnitFileState ActiveState" per unit, from systemd.
unit_states() {
        local u
        for u in "$@"; do
                echo "$u $(lab_unit_prop "$u" UnitFileState) $(lab_unit_prop "$u" ActiveState)"
        done
}

# node_sha256 PATH...: the content hashes of node files ("absent" for a missing one); for a
# symlink its target too, and the hash only when the link resolves (an absolute target is
# resolved from the host, which cannot see the node's upper layer).
node_sha256() {
        local p link
        for p in "$@"; do
                link=
                [ -L "$LAB_ROOT$p" ] && link=" -> $(readlink "$LAB_ROOT$p")"
                if [ -e "$LAB_ROOT$p" ]; then
                        echo "$p$link $(sha256sum <"$LAB_ROOT$p" | cut -d' ' -f1) $(stat -c '%a %u %g' "$LAB_ROOT$p")"
                elif [ -n "$link" ]; then
                        echo "$p$link"
                else
                        echo "$p absent"
                fi
        done
}

# node_tree PATH...: every file, directory and symlink under the node's PATHs (relative to its /,
# absent ones skipped), each with its type, mode and owner, a symlink's target and a regular
# file's content hash: a file made or removed below them shows, as a changed one does.
node_tree() {
        (cd "$LAB_ROOT" && find "$@" 2>/dev/null | sort | while read -r f; do
                printf '%s %s %s' "$f" "$(stat -c '%F %a %u %g' "$f")" "$([ -L "$f" ] && readlink "$f")"
                [ -f "$f" ] && [ ! -L "$f" ] && printf ' %s' "$(sha256sum <"$f" | cut -d' ' -f1)"
                echo
        done)
}

# stays_up UNIT SECONDS: the unit stays active, with NRestarts and the invocation unchanged, for
# that long, as the test (not remedy) sees it.
stays_up() {
        local unit=$1 seconds=$2 n0 inv0 i
        [ "$(lab_unit_prop "$unit" ActiveState)" = active ] || { diag "$unit is $(lab_unit_prop "$unit" ActiveState)"; return 1; }
        n0=$(lab_nrestarts "$unit")
        inv0=$(lab_unit_prop "$unit" InvocationID)
        for ((i = 0; i < seconds * 4; i++)); do
                sleep 0.25
                if [ "$(lab_unit_prop "$unit" ActiveState)" != active ] || [ "$(lab_nrestarts "$unit")" != "$n0" ] ||
                   [ "$(lab_unit_prop "$unit" InvocationID)" != "$inv0" ]; then
                        diag "$unit did not stay up: $(lab_unit_prop "$unit" ActiveState), NRestarts $n0 -> $(lab_nrestarts "$unit")"
                        return 1
                fi
        done
}

# crash_loops UNIT: NRestarts grows within a few seconds (kubelet's Restart=always at work).
crash_loops() {
        local n0
        n0=$(lab_nrestarts "$1")
        lab_wait_restarts "$1" $((n0 + 1)) 15
}

# The backup store's newest transaction's manifest state, read with jq, not with remedy.
last_txn_state() {   # the newest transaction's state, not counting the records rollbacks make
        local m
        for m in $(ls -t "$LAB_ROOT"/var/lib/remedy/backups/*.json 2>/dev/null); do
                if jq -e '.reverts == null' "$m" >/dev/null; then
                        jq -r .state "$m"
                        return 0
                fi
        done
        return 1
}

# The crash shim (tests/crash-shim.c) in the node: it is in the build directory, which the node
# sees at the same path as remedy (nspawn's --bind-ro, vm.sh's 9p binds).
#
# shim_remedy MODE AT ARGS...: remedy in the node under the crash shim, killed after the AT-th
# call MODE counts; RC its exit status (137 when killed), OUT its output; the node's
# /run/remedy-shim-count says how many calls of the kind it made, when it was not killed.
shim_remedy() {
        local mode=$1 at=$2
        shift 2
        OUT=$(lab_run env LD_PRELOAD="$CRASH_SHIM" REMEDY_SHIM_MODE="$mode" REMEDY_SHIM_AT="$at" \
                REMEDY_SHIM_REPORT=/run/remedy-shim-count \
                "$REMEDY" --no-color --playbooks="$PLAYBOOKS" "$@" 2>"$LAB_DIR/shim-err") && RC=0 || RC=$?
        case $RC in
        0|137) ;;
        1) [ "$KILL_WANT_RC" = 1 ] || diag "remedy $*: exit 1: $(head -c 2000 "$LAB_DIR/shim-err")" ;;
        *) diag "remedy $*: exit $RC: $(head -c 2000 "$LAB_DIR/shim-err")" ;;
        esac
}

# kill_points MODE PLAYBOOK [ARGS...]: the fault matrix's live half (issue 12). `apply PLAYBOOK
# ARGS` is killed right after the Nth call the shim's MODE counts (kill-bus: a D-Bus call that
# changes what systemd runs or enables; kill-live: those and the kernel's changes, a /proc/sys
# write or a modprobe) for N = 1, 2, ...; after each kill the next apply refuses and names
# rollback, `rollback` exits 0, and the output of the function KILL_STATE (the node's files, units,
# kernel values, as the caller reads them) is what it was before the first apply. KILL_AFTER,
# when set, names a function called after each of those checks with PLAYBOOK and N. The first
# apply not killed must exit KILL_WANT_RC (0: it completes and verifies) having made as many calls
# as were killed after, at least one. Adds to KILL_POINTS and KILL_SUMMARY ("PLAYBOOK N" each);
# leaves OUT and RC from that last apply.
KILL_STATE=
KILL_AFTER=
KILL_WANT_RC=0
KILL_POINTS=0
KILL_SUMMARY=()
kill_points() {
        local mode=$1 name=$2 before n total rc out
        shift 2
        before=$("$KILL_STATE")
        for ((n = 1; n <= 20; n++)); do
                lab_run rm -f /run/remedy-shim-count
                shim_remedy "$mode" "$n" apply "$name" "$@"
                [ "$RC" -eq 137 ] || break
                ok 0 "$name: killed after live change $n ($mode)"
                node_remedy apply "$name" "$@"
                is "$RC" 2 "$name, killed after change $n: the next apply refuses"
                contains "$ERR" "remedy rollback" "$name, killed after change $n: and says how to resolve it"
                node_remedy rollback
                is "$RC" 0 "$name, killed after change $n: rollback exits 0"
                [ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
                is "$("$KILL_STATE")" "$before" "$name, killed after change $n: the node as before the apply"
                [ -z "$KILL_AFTER" ] || "$KILL_AFTER" "$name" "$n"
        done
        rc=$RC out=$OUT
        is "$rc" "$KILL_WANT_RC" "$name: the apply not killed ($mode at $n) exits $KILL_WANT_RC"
        [ "$rc" = "$KILL_WANT_RC" ] || diag "$out" "$(head -c 2000 "$LAB_DIR/shim-err")"
        total=$(lab_run cat /run/remedy-shim-count 2>/dev/null || echo 0)
        is "$total" "$((n - 1))" "$name: it made as many live changes as were killed after ($total)"
        ok "$([ "$total" -ge 1 ]; echo $?)" "$name: at least one: the matrix has a kill point for it"
        KILL_POINTS=$((KILL_POINTS + total))
        KILL_SUMMARY+=("$name $total")
        RC=$rc OUT=$out
}
