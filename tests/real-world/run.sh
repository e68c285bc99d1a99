#!/bin/bash
# SPDX-License-Identifier: MIT
# The real-world suite: every node of tests/fixtures/real-world/nodes/ (built from configuration
# files taken from public projects, see SOURCES) gets `diagnose` and every shipped playbook but
# kubelet-rotate-kubeconfig (which needs a kubeconfig made on a control plane; its inputs are
# judged by the kubeconfig tests): plan, apply, plan again (nothing left), rollback (the tree
# byte for byte as it was). Every file a playbook changed is judged by its real consumer:
# containerd's configuration by `containerd config dump` (1.6, chrooted into a copy of the node)
# or by containerd 2.x's own loading rules (containerd-judge), the kubelet's by a YAML or JSON
# parser, fstab by findmnt --verify. What each playbook claims to fix is judged too:
# cgroup-driver-systemd leaves every runtime that runs pods on the systemd cgroup driver and
# changes no other effective containerd setting.
#
# usage: run.sh [RECIPE...]   (default: every recipe)
. "$(dirname "$0")/../tree/lib.sh"
. "$(dirname "$0")/node.sh"
JUDGE="$SOURCE_ROOT/tests/real-world/containerd-judge"
GENERIC_PLAYBOOKS=(cgroup-driver-systemd cni-placeholder swap-off kubelet-allow-swap kubelet-strip-flags kubelet-wait-online
                   kernel-netfilter inotify-limits kubelet-feature-gates sandbox-image clock-sync)
# sandbox-image reads containerd's image store live only: offline it changes nothing unless an image
# is given, so the suite gives one (a node's recipe may give another) and judges where it lands.
SANDBOX_IMAGE=registry.k8s.io/pause:3.10.1

recipes=("$@")
[ ${#recipes[@]} -gt 0 ] || recipes=("$RW"/nodes/*.node)
NODES=0
RUNS=0

# containerd_summary NODE: what containerd would run pods with, by the node's own containerd.
containerd_summary() {
        local node=$1 config=${NODE_CONTAINERD_CONFIG:-/etc/containerd/config.toml}
        if [ "$NODE_CONTAINERD" = 1.6 ]; then
                local j="$WORK/judge"
                rm -rf "$j" && cp -a "$node" "$j" && mkdir -p "$j/.judge"
                cp /usr/bin/containerd /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 "$j/.judge/"
                if [ ! -e "$j$config" ]; then
                        # containerd's defaults: config dump refuses a missing file, the daemon does not
                        config=/.judge/empty.toml
                        : >"$j$config"
                fi
                if chroot "$j" /.judge/ld-linux-x86-64.so.2 --library-path /.judge /.judge/containerd \
                        --config "$config" config dump >"$WORK/dump" 2>"$WORK/dump.err"; then
                        python3 "$JUDGE" dump "$WORK/dump" "$j"
                else
                        jq -cn --arg e "$(tail -1 "$WORK/dump.err")" '{refused: $e}'
                fi
        else
                python3 "$JUDGE" load "$node" "$config" "$NODE_CONTAINERD"
        fi
}

# Every runtime that runs pods on the systemd driver: the default one and every configured runc
# runtime, as containerd 1.6 builds their options (pkg/cri/server/helpers.go
# generateRuntimeOptions): a runc type reads options.SystemdCgroup; the v1 linux shim reads its
# options too, or without an options table the CRI plugin's systemd_cgroup; any other type,
# an empty one included, gets options in which SystemdCgroup means nothing. A default runtime that
# is not runc-based (kata, gVisor) has a cgroup setup of its own and is left out. Prints the
# runtimes that are not on systemd.
not_systemd() {
        jq -r '. as $s | .runtimes | to_entries[]
                | (.value.type | test("^io.containerd.(runc.v[12]|runtime.v1.linux)$")) as $runc
                | select($runc and (.key == $s.default_runtime or .value.configured) or (.key == $s.default_runtime and .value.type == ""))
                | select(if .value.type == "io.containerd.runtime.v1.linux" and (.value.has_options | not)
                         then $s.cri_systemd_cgroup != true
                         else ($runc and .value.systemd_cgroup == true) | not end)
                | .key' <<<"$1"
}

# The effective CRI table, one "key.path = value" line per leaf, without the keys the cgroup
# playbook may set. A runtime's fields with a zero value are left out: containerd decodes a
# runtime table into a struct (its options into the shim's options), where a missing field is
# that same zero, so a runtime table written anew says nothing the old one did not.
cri_rest() {
        jq -r '.cri // {} | paths(scalars) as $p | select(($p[-1] | tostring | ascii_downcase) as $k
                | $k != "systemdcgroup" and $k != "runtime_type" and $k != "systemd_cgroup")
                | select(($p[0:2] == ["containerd", "runtimes"] and (getpath($p) | . == "" or . == 0 or . == false)) | not)
                | "\($p | map(tostring) | join(".")) = \(getpath($p) | tojson)"' <<<"$1" | sort
}

files_state() {   # path and hash of every regular file and symlink, outside the backup store
        (cd "$1" && find . -path ./var/lib/remedy -prune -o \( -type f -o -type l \) -printf '%p %l\n' | sort |
                while read -r p l; do echo "$p $l $( [ -f "$p" ] && sha256sum <"$p" | cut -c1-16)"; done)
}

# The lines libmount cannot parse ("N parse errors" of findmnt --verify; its other errors are
# about this machine's devices, not the file).
fstab_parse_errors() {
        local n; n=$(findmnt --verify --tab-file "$1" 2>&1 | sed -n 's/^\([0-9]*\) parse error.*/\1/p')
        echo "${n:-0}"   # "Success, no errors or warnings detected"
}

# judge_file NODE PATH: the file parses for the program that reads it.
judge_file() {
        local f="$1$2"
        case "$2" in
        *.toml|*.toml.tmpl|*/containerd/*) python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$f" ;;
        *.json) jq empty "$f" ;;
        */kubelet/config*|*kubelet*.yaml|*kubelet.conf*|*.conf.d/*) python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" ;;
        */fstab) [ "$(fstab_parse_errors "$f")" -le "$FSTAB_ERRORS" ] ;;
        # sysctl.d(5): comments, blank lines and KEY = VALUE; modules-load.d(5): one module name a line.
        */sysctl.d/*) ! grep -Ev '^[[:space:]]*([#;].*)?$|^-?[a-z0-9_./-]+[[:space:]]*=[[:space:]]*[^[:space:]]' "$f" ;;
        */modules-load.d/*) ! grep -Ev '^[[:space:]]*([#;].*)?$|^[A-Za-z0-9_-]+$' "$f" ;;
        *) true ;;
        esac
}

one_playbook() {   # one_playbook NAME NODE-DIR PLAYBOOK
        local name=$1 node=$2 p=$3 refusal sets=()
        mapfile -t sets < <(node_sets "$p")
        [ "$p" = sandbox-image ] && [ ${#sets[@]} -eq 0 ] && sets=(--set "image=$SANDBOX_IMAGE")
        refusal=$(node_refusal "$p")
        RUNS=$((RUNS + 1))
        run --root="$node" --playbooks="$PLAYBOOKS" plan "$p" "${sets[@]}"
        if [ -n "$refusal" ]; then
                is "$RC" 2 "$name: $p refuses"
                contains "$ERR$OUT" "$refusal" "$name: $p says why"
                return
        fi
        if [ "$RC" != 0 ]; then
                ok 1 "$name: plan $p"
                echo "# exit $RC: $(head -3 <<<"$ERR$OUT")"
                return
        fi
        local not_fixed; not_fixed=$(node_not_fixed "$p")
        if [ -n "$not_fixed" ]; then
                contains "$OUT" "$not_fixed" "$name: plan $p names what it cannot change"
                local before_nf; before_nf=$(snapshot "$node")
                run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-nf-$RANDOM" apply "$p" "${sets[@]}"
                is "$RC" 1 "$name: apply $p: exit 1"
                contains "$OUT" "Not fixed" "$name: apply $p says Not fixed rather than Nothing to do"
                is "$(snapshot "$node")" "$before_nf" "$name: apply $p changed nothing"
                grep -q '^  change' <<<"$OUT" || return 0
        fi
        grep -q '^  change' <<<"$OUT" || return 0   # nothing to do here

        local before summary_before="" store="$WORK/store-$RANDOM$RANDOM"
        before=$(snapshot "$node")
        local files_before; files_before=$(files_state "$node")
        case $p in cgroup-driver-systemd|sandbox-image) summary_before=$(containerd_summary "$node") ;; esac
        FSTAB_ERRORS=$( [ -f "$node/etc/fstab" ] && fstab_parse_errors "$node/etc/fstab" || echo 0)
        run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$store" apply "$p" "${sets[@]}"
        local failure; failure=$(node_verify_failure "$p")
        if [ -n "$failure" ]; then
                is "$RC" 1 "$name: apply $p fails its verification"
                contains "$OUT" "$failure" "$name: $p says why"
                is "$(snapshot "$node")" "$before" "$name: $p rolled back, the tree byte for byte as it was"
                return
        fi
        if [ "$RC" != 0 ]; then
                ok 1 "$name: apply $p"
                echo "# exit $RC:"; grep -E 'FAILED|error|Error' <<<"$OUT$ERR" | head -5 | sed 's/^/#   /'
                return
        fi
        local changed bad=""
        changed=$(diff <(echo "$files_before") <(files_state "$node") | sed -n 's/^> \.\([^ ]*\) .*/\1/p' | sort -u)
        for f in $changed; do judge_file "$node" "$f" || bad+=" $f"; done
        is "$bad" "" "$name: $p: what it wrote parses for its consumer ($(echo $changed))"

        local fixed; fixed=$(node_fixed_config "$p")
        if [ -n "$fixed" ]; then
                # Flatcar documents a containerd.service drop-in setting the variable its ExecStart= expands
                grep -qsx "Environment=CONTAINERD_CONFIG=$fixed" "$node"/etc/systemd/system/containerd.service.d/*.conf
                ok $? "$name: $p points containerd.service at $fixed (a drop-in)"
        fi
        fixed=${fixed:-$NODE_CONTAINERD_CONFIG}

        if [ "$p" = cgroup-driver-systemd ]; then
                local after
                after=$(NODE_CONTAINERD_CONFIG=$fixed containerd_summary "$node")
                local refused_before; refused_before=$(jq -r '.refused // ""' <<<"$summary_before")
                is "$(jq -r '.refused // ""' <<<"$after")" "" "$name: containerd accepts the edited configuration${refused_before:+ (it refused it before: $refused_before)}"
                is "$(not_systemd "$after" | tr '\n' ' ')" "" "$name: every runtime that runs pods is on systemd ($(jq -r '[.runtimes | keys[]] | join(" ")' <<<"$after"))"
                if [ -z "$refused_before" ]; then
                        local rest; rest=$(diff <(cri_rest "$summary_before") <(cri_rest "$after") | grep '^[<>]')
                        is "$rest" "" "$name: no other effective containerd setting changed"
                fi
        fi

        if [ "$p" = sandbox-image ]; then
                local after; after=$(NODE_CONTAINERD_CONFIG=$fixed containerd_summary "$node")
                is "$(jq -r '.refused // ""' <<<"$after")" "$(jq -r '.refused // ""' <<<"$summary_before")" \
                        "$name: $p: containerd loads the edited configuration as it loaded the old one"
                [ -n "$(jq -r '.refused // ""' <<<"$summary_before")" ] ||
                        is "$(jq -r '.sandbox' <<<"$after")" "${sets[1]#image=}" "$name: $p: containerd's own loading reads the new sandbox image"
        fi

        local i
        for ((i = 0; i < ${#NODE_DERIVED[@]}; i += 2)); do
                local f="$node${NODE_DERIVED[i]}"
                if [ "${NODE_DERIVED[i + 1]}" = crlf ]; then
                        is "$(grep -c $'[^\r]$' "$f")" 0 "$name: $p: ${NODE_DERIVED[i]} keeps CRLF on every line"
                else
                        is "$(head -c3 "$f" | od -An -tx1 | tr -d ' ')" efbbbf "$name: $p: ${NODE_DERIVED[i]} keeps its BOM"
                fi
        done
        if [ "$p" = swap-off ] && [ -f "$node/etc/fstab" ]; then
                is "$(findmnt --fstab --tab-file "$node/etc/fstab" --types swap --noheadings --output SOURCE 2>/dev/null)" "" \
                   "$name: findmnt reads no swap left in the fstab"
        fi

        run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code "$p" "${sets[@]}"
        is "$RC" 0 "$name: $p: nothing left to do after apply"
        run --root="$node" --backup-dir="$store" rollback --last
        is "$RC" 0 "$name: rollback of $p"
        is "$(snapshot "$node")" "$before" "$name: rollback of $p restores the tree byte for byte"
}

for recipe in "${recipes[@]}"; do
        name=$(basename "$recipe" .node)
        node="$WORK/$name"
        node_build "$recipe" "$node" || { ok 1 "$name: recipe"; continue; }
        NODES=$((NODES + 1))

        run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
        case "$RC" in 0|1) ok 0 "$name: diagnose examines the node (exit $RC)" ;;
                *) ok 1 "$name: diagnose examines the node"; echo "# exit $RC: $(jq -r '.error // empty' <<<"$OUT" 2>/dev/null)$ERR" ;;
        esac
        if [ -n "$NODE_FINDINGS" ]; then
                want=$([ "$NODE_FINDINGS" = none ] || tr ' ' '\n' <<<"$NODE_FINDINGS" | sort | tr '\n' ' ')
                got=$(jq -r '[.findings[]?.name] | sort | join(" ")' <<<"$OUT" 2>/dev/null)
                is "$got" "$(echo $want)" "$name: diagnose finds exactly: $NODE_FINDINGS"
        fi
        for n in "${NODE_NOTES[@]}"; do
                contains "$(jq -r '.notes[]?' <<<"$OUT")" "$n" "$name: diagnose notes: $n"
        done
        for n in "${NODE_PROBLEMS[@]}"; do
                contains "$(jq -r '.problems[]?' <<<"$OUT")" "$n" "$name: diagnose reports the problem: $n"
        done
        is "$(jq -r '.problems | length' <<<"$OUT" 2>/dev/null)" "${#NODE_PROBLEMS[@]}" "$name: no other problem"
        for p in "${GENERIC_PLAYBOOKS[@]}"; do one_playbook "$name" "$node" "$p"; done
done

echo "# $NODES nodes, $RUNS playbook runs"
done_testing
