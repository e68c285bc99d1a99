#!/bin/bash
# SPDX-License-Identifier: MIT
# diagnose --format=npd: node-problem-detector's custom plugin protocol as its source states it
# (pkg/custompluginmonitor/plugin/plugin.go, docs/custom_plugin_monitor.md): exit 0 OK, 1 NonOK,
# anything else Unknown; stdout trimmed and cut to max_output_length (80 bytes by default) is the
# condition's message. So: one line, at most 80 bytes, printable ASCII, naming the findings and
# their count; a diagnosis that cannot be made exits 2 and says why in the message.
. "$(dirname "$0")/lib.sh"

npd() {   # npd ARGS...: sets OUT (stdout), RC
        OUT=$("$REMEDY" --playbooks="$PLAYBOOKS" --format=npd "$@" diagnose 2>/dev/null) && RC=0 || RC=$?
}
one_short_line() {   # the message NPD keeps is all of it
        [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && [ "$(printf '%s' "$1" | wc -c)" -le 80 ] &&
                ! LC_ALL=C grep -q '[^ -~]' <<<"$1"
}

node=$(new_node broken-node)
npd --root="$node"
is "$RC" 1 "a broken node: exit 1 (NonOK)"
is "$OUT" "3 findings: kubelet-rotate-kubeconfig, kubelet-strip-flags, swap-off" "the message names the findings and counts them"
ok "$(one_short_line "$OUT"; echo $?)" "one printable line of at most 80 bytes"

# Healthy: the sample node without its faults.
node=$(healthy_sample_node)
npd --root="$node"
is "$RC" 0 "a healthy node: exit 0 (OK)"
contains "$OUT" "remedy: no known failure" "says so"
ok "$(one_short_line "$OUT"; echo $?)" "in one short line"

# A problem whose text is long and holds bytes a terminal would act on: cut, and only printable.
printf 'version = 2\n[plugins\x1b]0;owned\x07\n' >"$node/etc/containerd/config.toml"
npd --root="$node"
is "$RC" 1 "a file that does not parse: exit 1"
contains "$OUT" "1 finding: problem /etc/containerd/config.toml:2" "the problem is the message"
ok "$(one_short_line "$OUT"; echo $?)" "cut to 80 printable bytes"
is "${OUT: -3}" "..." "and marked as cut"

# Unknown: the diagnosis could not be made.
npd --root="$WORK/no-such-node"
is "$RC" 2 "no node to diagnose: exit 2 (Unknown)"
contains "$OUT" "remedy cannot diagnose: --root" "the message says why"
ok "$(one_short_line "$OUT"; echo $?)" "in one short line"

run --format=npd list
is "$RC" 2 "--format=npd is diagnose's only"
run --format=yaml diagnose
is "$RC" 2 "an unknown format is refused"
contains "$ERR" '--format: "yaml" is not text, json or npd' "naming it"
done_testing
