#!/bin/bash
# SPDX-License-Identifier: MIT
# Bytes from a hostile node never reach the terminal raw, and --json is always valid UTF-8 JSON.
# An env file whose comment and flag carry ESC sequences (a window-title OSC, a clear-screen CSI),
# BEL, DEL, a C1 CSI (U+009B), a line separator (U+2028) and a bidi override (U+202E) is edited by
# kubelet-strip-flags, so its lines reach the diff and the step note; an fstab whose swap line
# names a device with the octal escapes \033 and \377 (libmount decodes them to ESC and a byte
# that is not UTF-8) reaches diagnose's evidence, swap-off's note and the unit names it masks.
# plan, apply, rollback and diagnose, as text and as --json, must show those bytes escaped.
. "$(dirname "$0")/lib.sh"

# What must never be printed raw: C0 controls but tab and newline, DEL, C1 controls (UTF-8
# C2 80..9F), U+2028, U+2029 and U+202A..202E, U+2066..2069 (bidi embeddings and isolates).
raw_controls() {   # raw_controls FILE: exit 0 when FILE holds one (grep -P on bytes)
        LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
}
valid_utf8() {   # valid_utf8 FILE
        python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <"$1" 2>/dev/null
}
strict_json() {   # strict_json FILE: valid UTF-8 and one JSON document
        python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' <"$1" 2>/dev/null
}

# check WHAT JSON ARGS...: runs remedy, then judges stdout and stderr byte by byte (not through
# $(...), which would drop NUL bytes).
check() {
        local what=$1 json=$2 out=$WORK/out err=$WORK/err
        shift 2
        "$REMEDY" --no-color "$@" >"$out" 2>"$err" && RC=0 || RC=$?
        OUT=$(cat "$out")
        ok "$([ -s "$out" ] || [ -s "$err" ]; echo $?)" "$what: prints something"
        ok "$(! raw_controls "$out"; echo $?)" "$what: no raw control or bidi character on stdout"
        ok "$(! raw_controls "$err"; echo $?)" "$what: no raw control or bidi character on stderr"
        ok "$(valid_utf8 "$out"; echo $?)" "$what: stdout is valid UTF-8"
        ok "$(valid_utf8 "$err"; echo $?)" "$what: stderr is valid UTF-8"
        if [ "$json" = json ]; then
                ok "$(strict_json "$out"; echo $?)" "$what: stdout is JSON a strict parser accepts"
        fi
}

# ---- An env file with escape sequences, edited by kubelet-strip-flags ------------------------

node=$(new_node broken-node)
store="$WORK/store-env"
printf '# \x1b]0;pwned\x07 \x1b[2J title \xc2\x9b31m sep\xe2\x80\xa8 bidi\xe2\x80\xae del\x7f end\n' >"$node/etc/default/kubelet"
printf 'KUBELET_EXTRA_ARGS="--node-ip=192.0.2.10 --network-plugin=cni\x1b[2J"\n' >>"$node/etc/default/kubelet"

check "plan (env file)" text --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
contains "$OUT" '# \x1b]0;pwned\x07 \x1b[2J title \u009b31m sep\u2028 bidi\u202e del\x7f end' \
        "plan: the diff shows the hostile comment escaped, the rest as is"
contains "$OUT" 'removes --network-plugin=cni\x1b[2J from KUBELET_EXTRA_ARGS' "plan: the note shows the flag escaped"
check "plan --json (env file)" json --root="$node" --playbooks="$PLAYBOOKS" --json plan kubelet-strip-flags
got=$("$REMEDY" --root="$node" --playbooks="$PLAYBOOKS" --json plan kubelet-strip-flags 2>/dev/null |
      jq -r '.playbooks[0].steps[0].note')
contains "$got" $'--network-plugin=cni\e[2J' "plan --json: a note that is valid UTF-8 keeps its bytes (JSON escapes them)"

check "apply (env file)" text --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-strip-flags
is "$RC" 0 "apply exits 0"
contains "$OUT" '\x1b]0;pwned' "apply: the diff shows the hostile comment escaped"
check "rollback --dry-run (env file)" text --root="$node" --backup-dir="$store" rollback --last --dry-run
contains "$OUT" '+KUBELET_EXTRA_ARGS="--node-ip=192.0.2.10 --network-plugin=cni\x1b[2J"' "rollback preview: the diff back is escaped"
check "rollback --dry-run --json (env file)" json --root="$node" --backup-dir="$store" --json rollback --last --dry-run
check "rollback (env file)" text --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback exits 0"
check "diagnose (env file)" text --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" '--network-plugin=cni\x1b[2J' "diagnose: the command line and evidence show the flag escaped"
check "diagnose --json (env file)" json --root="$node" --playbooks="$PLAYBOOKS" --json diagnose

# ---- fstab octal escapes: ESC and a byte that is not UTF-8 -----------------------------------

node=$(new_node broken-node)
store="$WORK/store-fstab"
printf '/sw\\033[2Jap\\377.img none swap sw 0 0\n' >>"$node/etc/fstab"

check "diagnose (fstab)" text --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" '/etc/fstab:4: /sw\x1b[2Jap\xff.img' "diagnose: the evidence shows the decoded device escaped"
check "diagnose --json (fstab)" json --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
got=$("$REMEDY" --root="$node" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null |
      jq -r '[.findings[].evidence[]] | join("\n")')
contains "$got" $'/etc/fstab:4: /sw\e[2Jap\\xff.img' "diagnose --json: the byte that is not UTF-8 is written \\\\xff, the rest kept"
check "plan (fstab)" text --root="$node" --playbooks="$PLAYBOOKS" plan swap-off
contains "$OUT" '4 (/sw\x1b[2Jap\xff.img)' "plan: swap-off's note shows the device escaped"
check "plan --json (fstab)" json --root="$node" --playbooks="$PLAYBOOKS" --json plan swap-off
check "apply (fstab)" text --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply swap-off
is "$RC" 0 "apply swap-off exits 0"
check "apply --json, nothing left to do (fstab)" json --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" --json apply swap-off
check "rollback --dry-run (fstab)" text --root="$node" --backup-dir="$store" rollback --last --dry-run
check "rollback --dry-run --json (fstab)" json --root="$node" --backup-dir="$store" --json rollback --last --dry-run
check "rollback --json (fstab)" json --root="$node" --backup-dir="$store" --json rollback --last
is "$RC" 0 "rollback swap-off exits 0"

# ---- A path with ESC (and one with a byte that is not UTF-8), named by the kubelet's drop-in -----

# hostile_path NODE NAME: the drop-in reads /etc/default/NAME instead of /etc/default/kubelet.
hostile_path() {
        local dropin="$1/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
        sed -i "s|EnvironmentFile=-/etc/default/kubelet|EnvironmentFile=-/etc/default/$2|" "$dropin"
        mv "$1/etc/default/kubelet" "$1/etc/default/$2"
}

node=$(new_node broken-node)
store="$WORK/store-path"
hostile_path "$node" $'kub\e[2Jelet'
check "apply (path)" text --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply kubelet-strip-flags
is "$RC" 0 "apply exits 0"
contains "$OUT" '+++ /etc/default/kub\x1b[2Jelet (planned)' "apply: the diff's label shows the path escaped"
id=$("$REMEDY" --root="$node" --backup-dir="$store" --json backups list | jq -r '.backups[0].id')
check "backups show (path)" text --root="$node" --backup-dir="$store" backups show "$id"
contains "$OUT" 'file      /etc/default/kub\x1b[2Jelet' "backups show: the path escaped"
check "backups show --json (path)" json --root="$node" --backup-dir="$store" --json backups show "$id"
check "rollback (path)" text --root="$node" --backup-dir="$store" rollback --last
is "$RC" 0 "rollback exits 0"
contains "$OUT" 'restore  /etc/default/kub\x1b[2Jelet' "rollback: the listing shows the path escaped"

node=$(new_node broken-node)
hostile_path "$node" $'kube\xfflet'
check "plan (path not UTF-8)" text --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
contains "$OUT" 'modify /etc/default/kube\xfflet' "plan: the path's byte that is not UTF-8 is shown \\xff"
check "plan --json (path not UTF-8)" json --root="$node" --playbooks="$PLAYBOOKS" --json plan kubelet-strip-flags
got=$("$REMEDY" --root="$node" --playbooks="$PLAYBOOKS" --json plan kubelet-strip-flags 2>/dev/null | jq -r '.playbooks[0].steps[0].files[1].path')
is "$got" '/etc/default/kube\xfflet' "plan --json: the path's byte that is not UTF-8 is the text \\xff"
check "diagnose --json (path not UTF-8)" json --root="$node" --playbooks="$PLAYBOOKS" --json diagnose

# An error naming such a path goes to stderr escaped too.
node=$(new_node broken-node)
hostile_path "$node" $'kub\e[2Jelet'
echo 'KUBELET_EXTRA_ARGS="--x' >>"$node/etc/default/"$'kub\e[2Jelet'
check "plan, a bad env file (path)" text --root="$node" --playbooks="$PLAYBOOKS" plan kubelet-strip-flags
is "$RC" 2 "plan of a bad env file exits 2"
contains "$(cat "$WORK/err")" '/etc/default/kub\x1b[2Jelet:4:20: unterminated double quote' "the error names the path escaped"

done_testing
