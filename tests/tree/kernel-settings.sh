#!/bin/bash
# SPDX-License-Identifier: MIT
# kernel-netfilter and inotify-limits offline (--root): only the files can be judged, so only the
# sysctl.d and modules-load.d files are written. What the node reads at boot is judged by
# systemd itself: `systemd-analyze --root cat-config` lists the files in systemd-sysctl's and
# systemd-modules-load's reading order (a file in /etc hides one of the same name in /usr/lib;
# all read by name), and the last assignment read wins.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || { echo "1..0 # SKIP no systemd-analyze"; exit 0; }

# boot_value ROOT KEY: the value systemd-sysctl would set at boot, by systemd's reading order.
boot_value() {
        systemd-analyze --root="$1" cat-config sysctl.d 2>/dev/null |
                awk -v key="$2" '
                        /^[ \t]*[#;]/ || !/=/ { next }
                        { k = $0; sub(/=.*/, "", k); gsub(/[ \t]/, "", k); sub(/^-/, "", k)
                          v = $0; sub(/^[^=]*=/, "", v); gsub(/^[ \t]+|[ \t]+$/, "", v)
                          if (k == key) val = v }
                        END { print val }'
}
# boot_modules ROOT: the modules systemd-modules-load would load, one a line.
boot_modules() {
        systemd-analyze --root="$1" cat-config modules-load.d 2>/dev/null | grep -v '^[[:space:]]*[#;]' | grep . | sort
}

node=$(new_node broken-node)
mkdir -p "$node/etc/sysctl.d" "$node/usr/lib/sysctl.d"
# Debian: procps's 99-sysctl.conf is a link to /etc/sysctl.conf, and an operator's line there
# turns forwarding off; a package's file in /usr/lib says 0 too, and another keeps the
# instances low. Watches are already higher than inotify-limits asks: never lowered.
printf '# /etc/sysctl.conf\n#net.ipv4.ip_forward=1\nnet.ipv4.ip_forward=0\n' >"$node/etc/sysctl.conf"
ln -s ../sysctl.conf "$node/etc/sysctl.d/99-sysctl.conf"
printf 'net.ipv4.ip_forward = 0\n' >"$node/usr/lib/sysctl.d/50-default.conf"
printf 'fs.inotify.max_user_instances = 128\n' >"$node/usr/lib/sysctl.d/30-inotify.conf"
printf 'fs.inotify.max_user_watches = 1048576\n' >"$node/etc/sysctl.d/10-watches.conf"
# An earlier file of remedy's name, edited by hand: its other lines stay, its line for the key
# is replaced.
printf '# mine\nvm.swappiness = 10\nnet.bridge.bridge-nf-call-iptables = 0\n' >"$node/etc/sysctl.d/90-remedy-k8s.conf"
is "$(boot_value "$node" net.ipv4.ip_forward)" 0 "the node forwards nothing at boot (systemd-analyze)"
before=$(snapshot "$node")
sysctl_conf=$(sha256sum <"$node/etc/sysctl.conf")

# ---- diagnose: a file that says 0 is what the files alone can tell
run() { OUT=$("$REMEDY" --no-color "$@" 2>&1); RC=$?; }
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
found=$(jq -r '.findings[].playbook' <<<"$OUT" | sort | tr '\n' ' ')
contains "$found" "kernel-netfilter" "diagnose names kernel-netfilter"
lacks "$found" "inotify-limits" "but not inotify-limits: nothing in the journal ran out"
evidence=$(jq -r '.findings[] | select(.playbook == "kernel-netfilter") | .evidence[]' <<<"$OUT")
contains "$evidence" "/etc/sysctl.d/90-remedy-k8s.conf sets net.bridge.bridge-nf-call-iptables = 0 for boot" \
        "evidence: the file that wins sets 0"
contains "$evidence" "offline: only the files were judged" "and it says only the files were judged"

# ---- plan writes nothing
run --root="$node" --playbooks="$PLAYBOOKS" plan kernel-netfilter inotify-limits
is "$RC" 0 "plan exits 0"
is "$(snapshot "$node")" "$before" "plan changed nothing"

# ---- apply
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kernel-netfilter inotify-limits
is "$RC" 0 "apply exits 0"
for k in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables; do
        is "$(boot_value "$node" $k)" 1 "$k is 1 at boot (systemd-analyze)"
done
is "$(boot_value "$node" fs.inotify.max_user_instances)" 8192 "max_user_instances is raised to 8192 at boot"
is "$(boot_value "$node" fs.inotify.max_user_watches)" 1048576 "max_user_watches, already higher, is not lowered"
is "$(boot_modules "$node" | tr '\n' ' ')" "br_netfilter overlay " "overlay and br_netfilter load at boot (systemd-analyze)"
is "$(sha256sum <"$node/etc/sysctl.conf")" "$sysctl_conf" "/etc/sysctl.conf is left as it was"
[ -e "$node/usr/lib/sysctl.d/50-default.conf" ] && [ ! -e "$node/etc/sysctl.d/50-default.conf" ]
ok $? "the package's file is neither changed nor hidden"
is "$(grep -v '^#' "$node/etc/sysctl.d/90-remedy-k8s.conf")" \
        "$(printf 'vm.swappiness = 10\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1')" \
        "the existing 90-remedy-k8s.conf keeps its other lines, its line for the key replaced"
lacks "$(cat "$node"/etc/sysctl.d/*remedy-inotify*.conf)" "max_user_watches" "no line lowers the watches"
contains "$OUT" "passed  verify kernel-module" "verify judged the modules' files"

run --root="$node" --playbooks="$PLAYBOOKS" plan --exit-code kernel-netfilter inotify-limits
is "$RC" 0 "a second plan has nothing to change"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
lacks "$(jq -r '.findings[].playbook' <<<"$OUT")" "kernel-netfilter" "diagnose no longer finds kernel-netfilter"

# A higher wish is written: --set raises the watches above the node's own value.
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply inotify-limits --set max_user_watches=2097152
is "$RC" 0 "apply inotify-limits --set max_user_watches=2097152 exits 0"
is "$(boot_value "$node" fs.inotify.max_user_watches)" 2097152 "then the watches are raised"

# ---- rollback, newest first: the node as it was, byte for byte
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$RC" 0 "rollback of the --set apply exits 0"
run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$RC" 0 "rollback of the first apply exits 0"
is "$(snapshot "$node")" "$before" "the node is as it was (content, modes, owners, links)"

# ---- a node whose files say nothing: offline nothing is known, nothing is found
quiet=$(new_node broken-node)
run --root="$quiet" --playbooks="$PLAYBOOKS" --json diagnose
lacks "$(jq -r '.findings[].playbook' <<<"$OUT")" "kernel-netfilter" \
        "no sysctl.d file at all: offline that decides nothing, no finding"

# ---- a sysctl.d file named after everything else: ours is read after it
late=$(new_node broken-node)
mkdir -p "$late/etc/sysctl.d"
printf 'net.ipv4.ip_forward = 0\n' >"$late/etc/sysctl.d/zz-last.conf"
run --root="$late" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply kernel-netfilter
is "$RC" 0 "apply with a zz-last.conf that says 0 exits 0"
is "$(boot_value "$late" net.ipv4.ip_forward)" 1 "ip_forward is 1 at boot: remedy's file is read after zz-last.conf"

# ---- the actions' arguments are checked when the playbook loads
bad=$WORK/bad-playbooks
mkdir -p "$bad" && chmod 0755 "$bad"
printf 'name: b\nsteps:\n  - name: a\n    sysctl: {key: "../../etc/shadow", value: "1", file: x.conf}\n' >"$bad/b.yaml"
printf 'name: c\nsteps:\n  - name: a\n    kernel-module: {name: br_netfilter, file: ../x.conf}\n' >"$bad/c.yaml"
printf 'name: d\nsteps:\n  - name: a\n    kernel-module: {name: "br/netfilter", file: x.conf}\n' >"$bad/d.yaml"
chmod 0644 "$bad"/*.yaml
for p in b c d; do
        run --root="$node" --playbooks="$bad" show "$p"
        is "$RC" 2 "a bad argument ($p) is refused, exit 2"
        contains "$OUT" "$bad/$p.yaml:4:" "and the error names FILE:LINE"
done

done_testing
