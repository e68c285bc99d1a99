#!/bin/bash
# SPDX-License-Identifier: MIT
# Swap that zram-generator turns on at boot, seen offline (--root): Fedora ships
# /usr/lib/systemd/zram-generator.conf with [zram0], the reason kubeadm on Fedora says "running with
# swap on is not supported". diagnose names swap-off with the configuration's line; swap-off masks
# dev-zram0.swap (systemctl --root judges) and leaves the configuration as it is; rollback removes
# the mask, byte for byte. Debian 12's zram-generator, run in its test mode on the node's files,
# judges which units there are.
. "$(dirname "$0")/lib.sh"

# Unpacked by tests/run-all (not installed: the lab nodes are overlays of this machine's root), or
# installed.
GENERATOR=
for g in /var/cache/remedy-lab/zram-generator/lib/systemd/system-generators/zram-generator \
         /lib/systemd/system-generators/zram-generator; do
        [ -x "$g" ] && { GENERATOR=$g; break; }
done
ok "$([ -n "$GENERATOR" ]; echo $?)" "zram-generator (Debian 12's systemd-zram-generator) is the judge"

diag() {   # diag NODE: sets OUT, RC and FOUND (the playbooks found, space-separated)
        run --root="$1" --playbooks="$PLAYBOOKS" diagnose
        FOUND=$("$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].playbook] | join(" ")')
}

# The swap units zram-generator writes for a node's files, space-separated and sorted. It reads
# ZRAM_GENERATOR_ROOT/{usr/lib,usr/local/lib,etc,run} and the RAM from ZRAM_GENERATOR_ROOT/proc:
# a scratch root links the node's directories, so that nothing is added to the node.
generator_swaps() {
        local scratch=$WORK/gen-root out=$WORK/gen-out d
        rm -rf "$scratch" "$out"
        mkdir -p "$scratch/proc" "$scratch/usr" "$out"
        for d in etc run; do [ -d "$1/$d" ] && ln -s "$1/$d" "$scratch/$d"; done
        for d in lib local; do [ -d "$1/usr/$d" ] && ln -s "$1/usr/$d" "$scratch/usr/$d"; done
        printf 'MemTotal:        4028108 kB\n' >"$scratch/proc/meminfo"
        ZRAM_GENERATOR_ROOT=$scratch "$GENERATOR" "$out" >/dev/null 2>&1 || { echo "generator failed"; return; }
        (cd "$out" && ls -d -- *.swap 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//')
}

# The units remedy's evidence names, in the same form.
evidence_units() {
        grep -o 'swap on at boot: .*' <<<"$1" | grep -o '([^()]*\.swap)$' | tr -d '()' | sort | tr '\n' ' ' | sed 's/ $//'
}

not_masked() {   # systemctl's word for a unit that has no file and no mask
        local state
        state=$(systemctl --root="$1" is-enabled "$2" 2>/dev/null)
        [ "$state" != masked ] && [ "$state" != masked-runtime ]
}

# install_generator NODE: the node has zram-generator installed (a stand-in file: the judge is
# the real one, run from outside the node).
install_generator() {
        install -D -m 0755 /dev/null "$1/usr/lib/systemd/system-generators/zram-generator"
}

# ---- Fedora: the node's only swap is zram-generator's default.
node=$(new_node broken-node)
install_generator "$node"
sed -i 's|^/swap.img|#/swap.img|' "$node/etc/fstab"
mkdir -p "$node/usr/lib/systemd"
cp "$FIXTURES/zram/fedora-zram-generator.conf" "$node/usr/lib/systemd/zram-generator.conf"
conf_before=$(sha256sum <"$node/usr/lib/systemd/zram-generator.conf")

diag "$node"
contains "$FOUND" "swap-off" "Fedora's zram-generator.conf: diagnose finds swap-off from the files alone"
contains "$OUT" "swap on at boot: /usr/lib/systemd/zram-generator.conf:7: [zram0] (dev-zram0.swap)" \
        "the evidence names the file, the line of [zram0] and its unit"
is "$(evidence_units "$OUT")" "$(generator_swaps "$node")" "the units named are the ones zram-generator writes for the node"
is "$(generator_swaps "$node")" "dev-zram0.swap" "which is dev-zram0.swap"
not_masked "$node" dev-zram0.swap
ok $? "dev-zram0.swap is not masked before"

before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply swap-off
is "$RC" 0 "swap-off applies offline"
contains "$OUT" "masks dev-zram0.swap" "it says it masks dev-zram0.swap"
is "$(systemctl --root="$node" is-enabled dev-zram0.swap 2>&1)" masked "systemctl --root says dev-zram0.swap is masked"
is "$(readlink "$node/etc/systemd/system/dev-zram0.swap")" /dev/null "a link to /dev/null in /etc/systemd/system"
is "$(sha256sum <"$node/usr/lib/systemd/zram-generator.conf")" "$conf_before" "the zram configuration is left as it was"
is "$(generator_swaps "$node")" "dev-zram0.swap" "zram-generator still writes the unit, which the mask in /etc overrides"
diag "$node"
lacks "$FOUND" "swap-off" "swap-off is no longer found"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply swap-off
contains "$OUT" "Nothing to do: 1 ok" "a second apply has nothing to do"

run --root="$node" --backup-dir="$WORK/store" rollback --last
is "$RC" 0 "rolled back"
is "$(snapshot "$node")" "$before" "rollback restores the node byte for byte"
not_masked "$node" dev-zram0.swap
ok $? "dev-zram0.swap is no longer masked"
diag "$node"
contains "$FOUND" "swap-off" "and swap-off is found again"

# ---- Turned off by the operator as Fedora's file says: an empty /etc/systemd/zram-generator.conf.
: >"$node/etc/systemd/zram-generator.conf"
diag "$node"
lacks "$FOUND" "swap-off" "an empty /etc/systemd/zram-generator.conf replaces Fedora's: no swap found"
is "$(generator_swaps "$node")" "" "zram-generator agrees: no swap unit"
rm "$node/etc/systemd/zram-generator.conf"

# ---- A drop-in that sizes zram0 0 turns it off; one that adds zram1 adds a device.
mkdir -p "$node/etc/systemd/zram-generator.conf.d"
printf '[zram0]\nzram-size = 0\n\n[zram1]\nzram-size = ram / 4\n' >"$node/etc/systemd/zram-generator.conf.d/50-node.conf"
diag "$node"
contains "$OUT" "swap on at boot: /etc/systemd/zram-generator.conf.d/50-node.conf:4: [zram1] (dev-zram1.swap)" \
        "a drop-in's device, with its file and line"
lacks "$OUT" "(dev-zram0.swap)" "and not the device it sizes 0"
is "$(evidence_units "$OUT")" "$(generator_swaps "$node")" "the same units as zram-generator"
rm -r "$node/etc/systemd/zram-generator.conf.d"

# ---- Debian 12's package, beside a swap line in the fstab: both are masked, in one step.
node=$(new_node broken-node)
install_generator "$node"
cp "$FIXTURES/zram/debian-zram-generator.conf" "$node/etc/systemd/zram-generator.conf"
diag "$node"
contains "$OUT" "swap on at boot: /etc/fstab:3: /swap.img (swap.img.swap)" "Debian: the fstab's swap"
contains "$OUT" "swap on at boot: /etc/systemd/zram-generator.conf:13: [zram0] (dev-zram0.swap)" "and the package's zram0"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store2" apply swap-off
is "$RC" 0 "swap-off applies"
contains "$OUT" "comments out /etc/fstab:3 (/swap.img); masks dev-zram0.swap, swap.img.swap" \
        "it comments out the fstab line and masks both units"
is "$(systemctl --root="$node" is-enabled dev-zram0.swap swap.img.swap 2>&1 | tr '\n' ' ')" "masked masked " "systemctl: both masked"
run --root="$node" --backup-dir="$WORK/store2" rollback --last
is "$(snapshot "$node")" "$before" "rollback restores the node byte for byte"

# ---- A configuration a removed package left behind: no generator, so no zram swap at boot.
rm "$node/usr/lib/systemd/system-generators/zram-generator"
diag "$node"
lacks "$OUT" "(dev-zram0.swap)" "without zram-generator installed, its configuration is no finding"
contains "$OUT" "(swap.img.swap)" "the fstab's swap still is"
install_generator "$node"

# ---- A configuration zram-generator cannot load: a problem found, naming the file and line.
printf '[zram0\n' >"$node/etc/systemd/zram-generator.conf"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
is "$RC" 1 "an unparseable zram-generator.conf: exit 1, a problem found"
contains "$OUT" "/etc/systemd/zram-generator.conf:1: invalid section header \"[zram0\"" "naming the file and line"
is "$(generator_swaps "$node")" "generator failed" "zram-generator fails on it too"
done_testing
