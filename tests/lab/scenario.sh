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
