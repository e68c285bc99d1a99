#!/bin/bash
# SPDX-License-Identifier: MIT
# The kubelet's command line as systemd builds it, judged by systemd itself (issue 11): for every
# real-world node whose kubelet unit, drop-ins or environment files come from the corpus
# (tests/fixtures/real-world/, see SOURCES), the node's kubelet.service, drop-ins and environment
# files are put into one lab node, where the unit's executable is an argv printer; systemd starts
# it, and the argv it passed must be the one remedy reads (diagnose --json's kubelet_command_line):
# Environment=, EnvironmentFile= (quoting, comments, continuations, a missing optional file) and
# $VAR word splitting as systemd does them. Then remedy edits the node offline (kubelet-strip-flags,
# and cgroup-driver-systemd, which takes --cgroup-driver out of the environment file that carries
# it), and systemd judges the edited files again: the same argv as remedy's, the removed flags
# gone and nothing else changed, and no assignment systemd ignores.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"
. "$SOURCE_ROOT/tests/real-world/node.sh"

recipes=()
for r in "$RW"/nodes/*.node; do
        grep -qE 'kubelet-env|kubelet-units|/etc/default/kubelet|/etc/sysconfig/kubelet|kubeadm-flags' "$r" && recipes+=("$r")
done

lab_setup || exit 1
lab_cni_config || exit 1
lab_boot || exit 1
lab_run systemctl stop kubelet.service
# the lab's own kubelet files would fill in for what a node lacks
rm -rf "$LAB_ROOT/var/lib/kubelet" "$LAB_ROOT/etc/default/kubelet" "$LAB_ROOT/etc/sysconfig/kubelet"
INSTALLED=()

# node_files_remove: takes the previous node's files out of the lab node.
node_files_remove() {
        local f
        for f in "${INSTALLED[@]}"; do rm -f "$LAB_ROOT$f"; done
        INSTALLED=()
        rm -rf "$LAB_ROOT/lib/systemd/system/kubelet.service" "$LAB_ROOT/lib/systemd/system/kubelet.service.d" \
                "$LAB_ROOT/etc/systemd/system/kubelet.service" "$LAB_ROOT/etc/systemd/system/kubelet.service.d" \
                "$LAB_ROOT/usr/lib/systemd/system/kubelet.service" "$LAB_ROOT/usr/lib/systemd/system/kubelet.service.d"
}

# systemd_argv NODE EXECUTABLE: sets GOT to the argv systemd gives the node's kubelet.service, as
# JSON; what the node's journal said meanwhile is in $LAB_DIR/judge.journal. (Not to be called in
# a subshell: it keeps the list of the files it put into the lab node.)
systemd_argv() {
        local node=$1 exe=$2 f
        GOT=""
        node_files_remove
        while IFS= read -r f; do
                # the node's identity and its containerd stay the lab's: only the kubelet's files are judged
                case "$f" in /etc/passwd|/etc/group|/etc/hostname|/lib/systemd/system/systemd-networkd*|/etc/containerd/*|/etc/cni/*|/etc/crio/*) continue ;; esac
                mkdir -p "$(dirname "$LAB_ROOT$f")" && cp -P "$node$f" "$LAB_ROOT$f" && INSTALLED+=("$f")
        done < <(cd "$node" && find . \( -type f -o -type l \) \
                \( -path './etc/*' -o -path './lib/systemd/*' -o -path './usr/lib/systemd/*' -o -path './var/lib/kubelet/*' \) |
                sed 's|^\.||')
        mkdir -p "$(dirname "$LAB_ROOT$exe")" "$LAB_ROOT/etc/systemd/system/kubelet.service.d"
        printf '#!/usr/bin/python3\nimport json, sys\nprint("ARGV " + json.dumps(sys.argv))\n' >"$LAB_ROOT$exe"
        chmod 0755 "$LAB_ROOT$exe"
        INSTALLED+=("$exe")
        # A oneshot that runs once: the node's ExecStart=, Environment= and EnvironmentFile= as they are.
        printf '[Unit]\nConditionPathExists=\nAssertPathExists=\n[Service]\nType=oneshot\nRestart=no\nRestartForceExitStatus=\nRestartPreventExitStatus=\nExecStartPre=\nExecStartPost=\nExecStopPost=\n' \
                >"$LAB_ROOT/etc/systemd/system/kubelet.service.d/zz-judge.conf"
        lab_run systemctl daemon-reload || return 1
        local cursor; cursor=$(journal_cursor)
        # Its requirements (docker.service on EKS AL2, kubelet-auto-node-size on OpenShift) are not
        # what is judged: --job-mode=ignore-requirements starts the kubelet unit alone.
        lab_run systemctl start --job-mode=ignore-requirements kubelet.service 2>"$LAB_DIR/start.err" || { cat "$LAB_DIR/start.err" >&2; return 1; }
        lab_run journalctl --no-pager -o cat --after-cursor="$cursor" >"$LAB_DIR/judge.journal"
        GOT=$(sed -n 's/^ARGV //p' "$LAB_DIR/judge.journal" | tail -1 | jq -c .)
}

# remedy_argv NODE: the kubelet's argv as remedy reads it, as JSON ("null" when it cannot).
remedy_argv() {
        "$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -c '.kubelet_command_line.argv'
}

# removed_only BEFORE AFTER: AFTER is BEFORE without some flags (and a removed flag's own value
# word): prints what is wrong, nothing when so.
removed_only() {
        python3 - "$1" "$2" <<'EOF'
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
i = 0
for word in after:
    while i < len(before) and before[i] != word:
        if not before[i].startswith("-") and not (i > 0 and before[i - 1].startswith("-") and "=" not in before[i - 1]):
            print("dropped %r, which is not a flag" % before[i]); sys.exit(0)
        i += 1
    if i == len(before):
        print("%r is not in the original command line, in that order" % word); sys.exit(0)
    i += 1
EOF
}

judged=0
for recipe in "${recipes[@]}"; do
        name=$(basename "$recipe" .node)
        node="$WORK/$name"
        node_build "$recipe" "$node" || { ok 1 "$name: recipe"; continue; }
        want=$(remedy_argv "$node")
        if [ "$want" = null ] || [ -z "$want" ]; then
                echo "# $name: remedy reads no kubelet command line (no kubelet unit): not judged"
                continue
        fi
        judged=$((judged + 1))
        exe=$(jq -r '.[0]' <<<"$want")
        systemd_argv "$node" "$exe"
        is "$GOT" "$want" "$name: systemd's argv for the kubelet is the one remedy reads"
        # What systemd ignores in the original files (MicroK8s' args file is not an environment file
        # at all) remedy must ignore too, which the argv says; the edits must not add to it.
        ignored=$(grep -c "Ignoring invalid environment assignment" "$LAB_DIR/judge.journal")

        # Offline edits of the environment files, judged the same way.
        mkdir -p "$node/etc/containerd"
        [ -e "$node/etc/containerd/config.toml" ] || printf 'version = 2\n' >"$node/etc/containerd/config.toml"
        before_edit=$(remedy_argv "$node")
        for p in kubelet-strip-flags cgroup-driver-systemd; do
                run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-$name-$p" apply "$p"
                # a refusal (exit 2: say a kubelet without --config) changes nothing, and is the
                # real-world suite's to judge
                [ "$RC" -le 2 ] || { ok 1 "$name: apply $p"; diag "$ERR"; }
        done
        after_edit=$(remedy_argv "$node")
        [ "$after_edit" = "$before_edit" ] && continue
        systemd_argv "$node" "$exe"
        is "$GOT" "$after_edit" "$name: after remedy's edits, systemd's argv is the one remedy reads"
        is "$(removed_only "$before_edit" "$GOT")" "" "$name: the edits removed flags and nothing else ($(jq -r --argjson a "$GOT" '[.[] | select(. as $w | $a | index($w) | not)] | join(" ")' <<<"$before_edit"))"
        is "$(grep -c "Ignoring invalid environment assignment" "$LAB_DIR/judge.journal")" "$ignored" \
                "$name: systemd ignores no more assignments in the edited files than in the originals ($ignored)"
done
ok "$( [ "$judged" -ge 15 ]; echo $?)" "$judged of ${#recipes[@]} nodes judged by systemd"
node_files_remove
lab_teardown

is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
