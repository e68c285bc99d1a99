#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad input gets one line naming the file and line, exit status 2, and nothing changed.
. "$(dirname "$0")/lib.sh"

node=$(new_node broken-node)
before=$(snapshot "$node")
pb="$WORK/pb"; mkdir -p "$pb"

expect_bad() {   # expect_bad DESCRIPTION PATTERN ARGS...
        local what=$1 pattern=$2; shift 2
        run --root="$node" --backup-dir="$WORK/store" "$@"
        is "$RC" 2 "$what: exit status 2"
        contains "$ERR" "$pattern" "$what: error names the place"
        is "$(grep -c . <<<"$ERR")" 1 "$what: one line"
        is "$(snapshot "$node")" "$before" "$what: nothing changed"
        test ! -e "$WORK/store"; ok $? "$what: no backup made"
}

printf 'name: bad\nsummary: x\nsteps:\n  - name: s\n    file: {path: /etc/x, content: y, colour: red}\n' > "$pb/bad.yaml"
expect_bad "unknown argument key" "$pb/bad.yaml:5:" --playbooks="$pb" apply bad
printf 'name: bad\nsummary: x\nsteps:\n  - name: s\n    paint: {path: /etc/x}\n' > "$pb/bad.yaml"
expect_bad "unknown action" "$pb/bad.yaml:5:" --playbooks="$pb" apply bad
printf 'name: bad\nsummary: x\nsteps:\n  - name: s\n    file: {path: /etc/x, content: [y}\n' > "$pb/bad.yaml"
expect_bad "malformed YAML" "$pb/bad.yaml:5:" --playbooks="$pb" apply bad
printf 'name: bad\nsummary: x\nparams:\n  n: {type: int, default: 3}\nsteps:\n  - name: s\n    file: {path: /etc/x, content: "{{ m }}"}\n' > "$pb/bad.yaml"
expect_bad "undeclared parameter" "$pb/bad.yaml:7:" --playbooks="$pb" apply bad
printf 'name: bad\nsummary: x\nparams:\n  n: {type: int, default: 3}\nsteps:\n  - name: s\n    file: {path: /etc/x, content: "{{ n }}"}\n' > "$pb/bad.yaml"
expect_bad "int parameter given a word" "n" --playbooks="$pb" apply bad --set n=three
expect_bad "unknown --set key" "nope" --playbooks="$pb" apply bad --set nope=1
printf 'name: bad\nsummary: x\nparams:\n  p: {type: string, default: a}\nsteps:\n  - name: s\n    dropin: {unit: "{{ p }}", name: 10-x.conf, content: "[Unit]\\n"}\n' > "$pb/bad.yaml"
# Refused as a value, before it is placed anywhere: the error names the declaration.
expect_bad "newline in a parameter" "$pb/bad.yaml:4:3: --set p=...: the value is not one line" --playbooks="$pb" apply bad --set "p=a
b"
expect_bad "unknown playbook" "no playbook" --playbooks="$PLAYBOOKS" apply no-such-playbook
expect_bad "unknown command" "unknown command" frobnicate

shared="$WORK/shared-tmp"; mkdir -p "$shared"; chmod 1777 "$shared"
expect_bad "backup dir that is a shared directory (mode 1777)" "never changes an existing directory's mode" --playbooks="$PLAYBOOKS" --backup-dir="$shared" apply kubelet-strip-flags
is "$(stat -c %a "$shared")" 1777 "the shared directory keeps its mode"
expect_bad "backup dir inside a configuration directory" "where services read configuration" --playbooks="$PLAYBOOKS" --backup-dir="$node/etc/remedy-backups" apply kubelet-strip-flags
test ! -e "$node/etc/remedy-backups"; ok $? "no backup dir made under /etc"

# The store is made one directory at a time by fd: a path through a symlink makes nothing anywhere.
refused_store() {   # refused_store DESCRIPTION PATTERN ARGS...
        local what=$1 pattern=$2; shift 2
        run "$@"
        is "$RC" 2 "$what: exit status 2"
        contains "$ERR" "$pattern" "$what: error names the place"
}
linked=$(new_node broken-node); outside="$WORK/outside-var"
mv "$linked/var" "$outside" && ln -s "$outside" "$linked/var"
refused_store "default store path through ROOT/var linked out of the root" "Too many levels of symbolic links" --root="$linked" --playbooks="$PLAYBOOKS" apply cni-placeholder
test ! -e "$outside/lib/remedy"; ok $? "nothing made outside the root (no $outside/lib/remedy)"
test ! -e "$linked/etc/cni/net.d/zz-remedy-placeholder.conflist"; ok $? "and nothing changed on the node"
mkdir "$WORK/link-target"; ln -s "$WORK/link-target" "$WORK/link"
refused_store "--backup-dir with a symlink on its path" "Too many levels of symbolic links" --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/link/store" apply cni-placeholder
test ! -e "$WORK/link-target/store"; ok $? "nothing made where the link points"
open_dir="$WORK/open"; mkdir "$open_dir"; chmod 0777 "$open_dir"
refused_store "--backup-dir under a world-writable directory without the sticky bit" "where other users can write" --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$open_dir/store" apply cni-placeholder
test ! -e "$open_dir/store"; ok $? "no store made there"
is "$(snapshot "$node")" "$before" "the node is unchanged"

# An unparseable node file: the TOML editor refuses it with the file and line.
printf 'version = 2\n[plugins\n' > "$node/etc/containerd/config.toml"
before=$(snapshot "$node")
expect_bad "unparseable containerd config" "/etc/containerd/config.toml:" --playbooks="$PLAYBOOKS" apply cgroup-driver-systemd

done_testing
