#!/bin/bash
# SPDX-License-Identifier: MIT
# diagnose reads an offline node's journal (--root) from the node and from nowhere else: its
# var/log/journal is opened inside the root, and a symlink there (the directory, a machine-ID
# directory, a journal file) that points out of the root does not bring another system's lines
# in as the node's evidence. The journal files are written by systemd-journal-remote, the real
# journal writer, from journal export format.
. "$(dirname "$0")/lib.sh"

machine_id=0123456789abcdef0123456789abcdef
cni_line='failed to load cni during init, please check CRI plugin status before setting up network for pods error="cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to load cni config"'

write_journal() {   # write_journal FILE: one containerd.service entry that matches cni-placeholder
        printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=1000\n_BOOT_ID=%s\n_SYSTEMD_UNIT=containerd.service\n_PID=42\n_UID=0\nMESSAGE=%s\n\n' \
                "$(($(date +%s) - 60))000000" "$machine_id" "$cni_line" |
                /lib/systemd/systemd-journal-remote -o "$1" - 2>/dev/null
}

# The node's own journal is read: the positive control.
node=$(new_node broken-node)
mkdir -p "$node/var/log/journal/$machine_id"
write_journal "$node/var/log/journal/$machine_id/system.journal"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "cni-placeholder" "the node's own journal gives the cni-placeholder finding"
contains "$OUT" "no network config found in" "and quotes the node's line"

# Another system's journal, reached through symlinks out of the root, is not.
other="$WORK/other-system"
mkdir -p "$other/journal/$machine_id"
write_journal "$other/journal/$machine_id/system.journal"

node=$(new_node broken-node)
mkdir -p "$node/var/log"
ln -s "$other/journal" "$node/var/log/journal"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
lacks "$OUT" "no network config found in" "var/log/journal linked out of the root: no line from the other system"

node=$(new_node broken-node)
mkdir -p "$node/var/log/journal"
ln -s "$other/journal/$machine_id" "$node/var/log/journal/$machine_id"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
lacks "$OUT" "no network config found in" "a machine-ID directory linked out: no line from the other system"

node=$(new_node broken-node)
mkdir -p "$node/var/log/journal/$machine_id"
ln -s "$other/journal/$machine_id/system.journal" "$node/var/log/journal/$machine_id/system.journal"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
lacks "$OUT" "no network config found in" "a journal file linked out: no line from the other system"

# A link that stays inside the root is the node's own: followed, inside.
node=$(new_node broken-node)
mkdir -p "$node/srv/journal/$machine_id" "$node/var/log"
write_journal "$node/srv/journal/$machine_id/system.journal"
ln -s /srv/journal "$node/var/log/journal"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "no network config found in" "var/log/journal linked within the root is read, resolved inside it"

# A node that crashed: a journal file cut short beside a good one. The rest is still read, as
# journalctl reads it.
node=$(new_node broken-node)
mkdir -p "$node/var/log/journal/$machine_id"
write_journal "$node/var/log/journal/$machine_id/system.journal"
head -c 4096 "$node/var/log/journal/$machine_id/system.journal" >"$node/var/log/journal/$machine_id/system@0000-0001.journal~"
head -c 3000 /dev/urandom >"$node/var/log/journal/$machine_id/user-1000.journal"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "no network config found in" "a cut-short and a garbage journal file beside a good one: the good one is read"
lacks "$OUT" "cannot open the journal" "and the journal is not reported unreadable"

done_testing
