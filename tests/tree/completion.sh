#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion (completion/remedy) driven as bash drives it: COMP_WORDS split where bash
# splits them (at '=' too), COMP_CWORD, COMP_LINE and COMP_POINT set, _remedy called, COMPREPLY
# judged. Playbook names, parameters and backup IDs come from a real playbook directory and a
# real backup store made by `remedy apply` on a copy of the sample node.
. "$(dirname "$0")/lib.sh"

bash_completion=/usr/share/bash-completion/bash_completion
if [ ! -r "$bash_completion" ]; then
        if [ "${CI:-}" = true ]; then
                echo "1..1"
                echo "not ok 1 - bash-completion is not installed under CI=true ($bash_completion)"
                exit 1
        fi
        echo "1..0 # SKIP bash-completion is not installed ($bash_completion)"
        exit 0
fi
# bash-completion is not written for nounset.
set +u
. "$bash_completion"
. "$SOURCE_ROOT/completion/remedy"
is "$(complete -p remedy 2>&1)" "complete -F _remedy remedy" "the script registers _remedy for remedy"

# compopt only works inside a completion bash started: record what it was asked instead.
compopt() { COMPOPT="$*"; }

# tab WORD...: COMPREPLY for the last word, the cursor at the end of the line; a word "="
# stands where bash breaks a word at '=' (--root=/x is --root, =, /x). GOT: the replies sorted,
# one line each; ERR: what it printed on stderr.
tab() {
        local w line= prev=
        for w in "$@"; do
                if [ -z "$line" ] || [ "$w" = "=" ] || [ "$prev" = "=" ]; then line+=$w; else line+=" $w"; fi
                prev=$w
        done
        COMP_WORDS=("$REMEDY" "$@")
        COMP_CWORD=$#
        COMP_LINE="$REMEDY $line"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        COMPOPT=
        _remedy "$REMEDY" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>"$WORK/tab-stderr"
        ERR=$(cat "$WORK/tab-stderr")
        GOT=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}
lines() { printf '%s\n' "$@"; }

# Commands and options.
tab ""
is "$GOT" "$(lines apply backups diagnose drift fix list plan rollback show snapshot)" "commands"
tab drift --bas
is "$GOT" "--baseline=" "drift: --baseline="
mkdir -p "$WORK/baselines" && touch "$WORK/baselines/cm.yaml"
tab drift --baseline = "$WORK/baselines/c"
is "$GOT" "$WORK/baselines/cm.yaml" "--baseline=FILE: files"
tab ro
is "$GOT" "rollback" "a command from its start"
tab --ro
is "$GOT" "--root=" "an option with a value ends in '='"
is "$COMPOPT" "-o nospace" "... and no space follows it"
tab rollback --
contains "$GOT" "--cascade" "rollback: its own options"
contains "$GOT" "--backup-dir=" "rollback: the global options"
lacks "$GOT" "--exit-code" "rollback: not plan's options"
tab plan --ex
is "$GOT" "--exit-code" "plan: --exit-code"
tab backups ""
is "$GOT" "$(lines list prune show verify)" "backups: its subcommands"

# --root and --playbooks take directories.
mkdir -p "$WORK/dirs/node-a" && touch "$WORK/dirs/node-file"
tab --root = "$WORK/dirs/no"
is "$GOT" "$WORK/dirs/node-a" "--root=DIR: directories only"

# Playbook names from the --playbooks directories on the line, not the default ones.
pbdir="$WORK/playbooks"
mkdir -p "$pbdir"
chmod 0755 "$WORK" "$pbdir"
cat >"$pbdir/one.yaml" <<'YAML'
name: alpha-one
summary: the first
params:
  restart: {type: bool, default: true}
  driver: {type: enum, choices: [systemd, cgroupfs], default: systemd}
  conf: {type: path, default: /etc/cni/net.d}
steps:
  - {name: reload, daemon-reload: {}}
YAML
cat >"$pbdir/two.yaml" <<'YAML'
name: alpha-two
params:
  subnet: {type: string, default: 10.0.0.0/8}
steps:
  - {name: reload, daemon-reload: {}}
YAML
printf 'name: alpha-broken\nsteps: [{name: x, flie: {}}]\n' >"$pbdir/broken.yaml"
chmod 0644 "$pbdir"/*.yaml

tab --playbooks = "$pbdir" plan al
is "$GOT" "$(lines alpha-one alpha-two)" "plan: the valid playbooks of --playbooks=DIR"
tab --playbooks "$pbdir" apply ""
is "$GOT" "$(lines alpha-one alpha-two)" "apply: --playbooks DIR as two words"
tab --playbooks = "$pbdir" apply alpha-one ""
is "$GOT" "alpha-two" "apply: a playbook already named is not offered again"
tab --playbooks = "$pbdir" show alpha-one ""
is "$GOT" "" "show takes one playbook"
tab --playbooks = "$PLAYBOOKS" --playbooks = "$pbdir" show ""
contains "$GOT" "cni-placeholder" "two --playbooks directories: the first one's"
contains "$GOT" "alpha-two" "two --playbooks directories: the second one's"

# --set: the parameters of the playbooks named on the line, then their values.
tab --playbooks = "$pbdir" plan alpha-one alpha-two --set ""
is "$GOT" "$(lines conf= driver= restart= subnet=)" "--set: the named playbooks' parameters"
is "$COMPOPT" "-o nospace" "... with no space after KEY="
tab --playbooks = "$pbdir" apply alpha-two --set = ""
is "$GOT" "subnet=" "--set=: the same"
tab --playbooks = "$pbdir" apply alpha-one --set dr
is "$GOT" "driver=" "--set: from a key's start"
tab --playbooks = "$pbdir" apply alpha-one --set driver = ""
is "$GOT" "$(lines cgroupfs systemd)" "--set ENUM=: its choices"
tab --playbooks = "$pbdir" apply alpha-one --set restart = t
is "$GOT" "true" "--set BOOL=: true or false"
tab --playbooks = "$pbdir" apply alpha-one --set conf = "$WORK/dirs/node-f"
is "$GOT" "$WORK/dirs/node-file" "--set PATH=: files"
tab --playbooks = "$PLAYBOOKS" plan cni-placeholder --set ""
is "$GOT" "$(lines bin_dir= conf_dir= subnet=)" "--set: a shipped playbook's parameters"

# Backup IDs from a store made by a real apply: the node's own store under --root, or
# --backup-dir's.
node=$(new_node broken-node)
run --root="$node" --playbooks="$PLAYBOOKS" apply cni-placeholder
is "$RC" 0 "apply into the node's own store"
id=$(sed -n 's/.*Backup: \([^ ]*\) .*/\1/p' <<<"$OUT")
store="$WORK/store"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-strip-flags
is "$RC" 0 "apply into --backup-dir's store"
id2=$(sed -n 's/.*Backup: \([^ ]*\) .*/\1/p' <<<"$OUT")
test -n "$id" && test -n "$id2" && test "$id" != "$id2"; ok $? "two backup IDs ($id, $id2)"

tab --root = "$node" rollback ""
is "$GOT" "$id" "rollback: the IDs of ROOT/var/lib/remedy/backups"
tab --root = "$node" --backup-dir = "$store" rollback ""
is "$GOT" "$id2" "rollback: the IDs of --backup-dir"
tab rollback --root = "$node" ""
is "$GOT" "$id" "rollback: options after the command count too"
tab --root = "$node" rollback "$id" ""
is "$GOT" "" "rollback takes one ID"
tab --root "$node" backups show ""
is "$GOT" "$id" "backups show: the IDs"
tab --root = "$node" --backup-dir = "$store" backups verify "${id2:0:4}"
is "$GOT" "$id2" "backups verify: the IDs, from their start"
tab --root = "$node" backups list ""
is "$GOT" "" "backups list takes no ID"
tab --root = "$WORK/no-such-node" rollback ""
is "$GOT" "" "no store: nothing offered"
is "$ERR" "" "... and nothing printed"

done_testing
