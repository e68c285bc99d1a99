#!/bin/bash
# SPDX-License-Identifier: MIT
# remedy diagnose offline (--root): the signals a node's files give without a journal. The
# sample node's client certificate expired on 2026-01-01: that alone is found. With a certificate
# valid now the node is consistent (both cgroupfs, no placeholder): no findings, exit 0. Each
# file-level fault is found, names its playbook and nothing else, exit 1; fixing it ends the
# finding. Journal signals are tested live in the lab.
. "$(dirname "$0")/lib.sh"

diag() {   # diag NODE: sets OUT, RC and FOUND (the playbooks found, space-separated)
        run --root="$1" --playbooks="$PLAYBOOKS" diagnose
        FOUND=$("$REMEDY" --root="$1" --playbooks="$PLAYBOOKS" --json diagnose 2>/dev/null | jq -r '[.findings[].playbook] | join(" ")')
}

# A client certificate valid now, for the node's kubelet-client-current.pem (made at test time, so
# that it never expires in the repository).
renew_cert() {
        local pem=$1/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
                -subj "/O=system:nodes/CN=system:node:node01" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null &&
                cat "$WORK/cert.pem" "$WORK/key.pem" >"$pem"
}

# The sample nodes keep Ubuntu's /swap.img in their fstab (seed 001); nodes made for the other
# faults drop it, as an operator who had run swap-off would have.
no_swap() {
        sed -i 's|^/swap.img|#/swap.img|' "$1/etc/fstab"
}
# Likewise the flags the sample nodes' kubelets reject (a typo, a flag removed in 1.24 and, for
# broken-node-v3's kubelet 1.35, --pod-infra-container-image), as an operator who had run
# kubelet-strip-flags would have.
no_bad_flags() {
        sed -i 's| --improve-speed"|"|' "$1/var/lib/kubelet/kubeadm-flags.env"
        sed -i 's| --network-plugin=cni"|"|' "$1/etc/default/kubelet"
        grep -q '^Version: 1.35' "$1/var/lib/dpkg/status" &&
                sed -i 's| --pod-infra-container-image=[^ "]*||' "$1/var/lib/kubelet/kubeadm-flags.env"
        return 0
}

node=$(new_node broken-node)
diag "$node"
is "$FOUND" "kubelet-rotate-kubeconfig kubelet-strip-flags swap-off" \
   "the sample node: its expired client certificate, the flags its kubelet rejects and its swap are found, from the files alone"
contains "$OUT" "evidence: the kubelet's command line holds what it rejects: --improve-speed (/var/lib/kubelet/kubeadm-flags.env:1 \$KUBELET_KUBEADM_ARGS), --network-plugin=cni (/etc/default/kubelet:3 \$KUBELET_EXTRA_ARGS)" \
        "the flags' evidence names each word and where it came from"
contains "$OUT" "swap on at boot: /etc/fstab:3: /swap.img (swap.img.swap)" "the swap evidence names the fstab line and its unit"
# The kubelet's effective command line, word by word with its source, judged by the flag list of
# the node's kubelet package version (1.30: --network-plugin went in 1.24, --improve-speed never was).
contains "$OUT" "Kubelet command line (ExecStart= at /lib/systemd/system/kubelet.service.d/10-kubeadm.conf:11):" \
        "diagnose shows the kubelet's command line and which ExecStart= it is"
contains "$OUT" "--improve-speed  /var/lib/kubelet/kubeadm-flags.env:1 \$KUBELET_KUBEADM_ARGS, NOT ACCEPTED by this kubelet" \
        "a flag the kubelet rejects, with the file, line and variable it came from"
contains "$OUT" "--network-plugin=cni  /etc/default/kubelet:3 \$KUBELET_EXTRA_ARGS, NOT ACCEPTED by this kubelet" \
        "a removed flag from KUBELET_EXTRA_ARGS"
contains "$OUT" "--config=/var/lib/kubelet/config.yaml  /lib/systemd/system/kubelet.service.d/10-kubeadm.conf:4 \$KUBELET_CONFIG_ARGS, accepted" \
        "an accepted one from the kubeadm drop-in"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '[.kubelet_command_line.args[] | select(.accepted == false) | .flag] | join(" ")' <<<"$OUT")" \
        "improve-speed network-plugin" "--json lists the same two as not accepted"
is "$(jq -r '.kubelet_command_line.args | length' <<<"$OUT")" 8 "and every word: the kubeadm drop-in's three, the env files' five"
contains "$OUT" "expired on 2026-01-01 00:00:00 UTC" "the evidence gives the expiry date"
contains "$OUT" "--set kubeconfig=..." "and the fix asks for the new kubeconfig"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-swap" fix --yes
is "$RC" 1 "fix cannot fix it without the kubeconfig: exit 1"
contains "$ERR" "needs --set kubeconfig=" "and says what it needs"
contains "$OUT" "comments out /etc/fstab:3 (/swap.img); masks swap.img.swap" "but fixes what it can: swap off"
run --root="$node" --backup-dir="$WORK/store-swap" rollback --last
is "$RC" 0 "rolled back"

run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.client_certificate | "\(.valid_now) \(.days_left < 0) \(.not_after)"' <<<"$OUT")" "false true 2026-01-01 00:00:00 UTC" \
        "--json reports the client certificate: not valid, days left negative, its end"

renew_cert "$node"
fstab_before=$(sha256sum <"$node/etc/fstab")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-swap" apply swap-off
is "$RC" 0 "swap-off applies offline"
is "$(grep -c '^#/swap.img none swap sw 0 0$' "$node/etc/fstab")" 1 "the fstab's swap line is commented out"
is "$(readlink "$node/etc/systemd/system/swap.img.swap")" /dev/null "and its unit masked"
is "$(sed 's|^#/swap.img|/swap.img|' "$node/etc/fstab" | sha256sum)" "$fstab_before" "every other byte of the fstab as it was"
contains "$OUT" "not run" "the kubelet check is not run offline"
diag "$node"
lacks "$FOUND" "swap-off" "swap-off is no longer found"
run --root="$node" --backup-dir="$WORK/store-swap" rollback --last
is "$(sha256sum <"$node/etc/fstab")" "$fstab_before" "rollback restores the fstab byte for byte"
[ ! -e "$node/etc/systemd/system/swap.img.swap" ] && [ ! -L "$node/etc/systemd/system/swap.img.swap" ]
ok $? "and removes the mask"
diag "$node"
is "$FOUND" "kubelet-strip-flags swap-off" "and swap is found again (the rejected flags still are)"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-swap" apply swap-off kubelet-strip-flags
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.client_certificate | "\(.valid_now) \(.days_left) \(.subject)"' <<<"$OUT")" \
        "true 30 CN=system:node:node01,O=system:nodes" "a certificate valid for 30 days: 30 days left (openssl judged it so)"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
contains "$OUT" "Kubelet client certificate: CN=system:node:node01,O=system:nodes" "the text report names it"
contains "$OUT" "30 days left" "and the days left"
before=$(snapshot "$node")
diag "$node"
is "$RC" 0 "a consistent node: exit 0"
is "$FOUND" "" "no findings"
contains "$OUT" "No known failure found (7 playbooks asked)" "and says so"
is "$(snapshot "$node")" "$before" "diagnose wrote nothing"

# The kubelet on systemd, containerd's runc still on cgroupfs.
sed -i 's/^cgroupDriver: cgroupfs/cgroupDriver: systemd/' "$node/var/lib/kubelet/config.yaml"
diag "$node"
is "$RC" 1 "cgroup driver mismatch: exit 1"
is "$FOUND" "cgroup-driver-systemd" "found, and only it"
contains "$OUT" "evidence: the kubelet's effective cgroupDriver is systemd, set by /var/lib/kubelet/config.yaml:" \
        "the evidence names the kubelet's setting and where it is"
contains "$OUT" "evidence: containerd's runtimes that run pods: runc (the default, io.containerd.runc.v2): SystemdCgroup false, set by /etc/containerd/config.toml" \
        "and containerd's"
contains "$OUT" "fix:     remedy --root=$node apply cgroup-driver-systemd" "and gives the command that fixes it"
contains "$OUT" "advice: drain the node first" "with the playbook's advice"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" apply cgroup-driver-systemd
diag "$node"
is "$FOUND" "" "after the fix: no findings"
is "$RC" 0 "exit 0"

# The other way round: containerd on systemd, the kubelet on cgroupfs.
node=$(new_node broken-node)
renew_cert "$node"
no_swap "$node"
no_bad_flags "$node"
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$node/etc/containerd/config.toml"
diag "$node"
is "$FOUND" "cgroup-driver-systemd" "containerd systemd, kubelet cgroupfs: found"

# A node still joining (no kubelet config yet) is not a fault.
rm "$node/var/lib/kubelet/config.yaml"
diag "$node"
is "$FOUND" "" "a node without kubelet config (kubeadm join pending): no findings"

# A placeholder that outlived its purpose.
node=$(new_node broken-node-v3)
[ -e "$node/var/lib/kubelet/pki/kubelet-client-2025-01-01-00-00-00.pem" ] && renew_cert "$node"
no_swap "$node"
no_bad_flags "$node"
rm -f "$node"/etc/cni/net.d/*
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store3" apply cni-placeholder
diag "$node"
is "$FOUND" "" "the placeholder alone, with no real config: not a finding"
printf '{"name": "cbr0", "cniVersion": "0.3.1", "plugins": [{"type": "flannel"}]}\n' >"$node/etc/cni/net.d/10-flannel.conflist"
diag "$node"
is "$FOUND" "cni-placeholder" "the placeholder beside the real CNI's config: found"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.findings[0].fix' <<<"$OUT")" "remedy --root=$node apply cni-placeholder" "--json gives the fix command"

# fix: what diagnose finds, planned then applied as one transaction, offline too.
node=$(new_node broken-node)
renew_cert "$node"
no_swap "$node"
no_bad_flags "$node"
sed -i 's/^cgroupDriver: cgroupfs/cgroupDriver: systemd/' "$node/var/lib/kubelet/config.yaml"
before=$(snapshot "$node")
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-fix" fix --yes --dry-run
is "$RC" 0 "fix --dry-run exits 0"
contains "$OUT" "cgroup-driver-systemd:" "and plans the playbook diagnose found"
lacks "$OUT" "kubelet-strip-flags:" "and no other"
is "$(snapshot "$node")" "$before" "fix --dry-run changed nothing"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-fix" fix --yes
is "$RC" 0 "fix exits 0"
diag "$node"
is "$FOUND" "" "after fix: no findings"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store-fix" fix --yes
contains "$OUT" "nothing to fix" "a second fix has nothing to fix"
run --root="$node" --backup-dir="$WORK/store-fix" rollback --last
is "$(snapshot "$node")" "$before" "rollback of the fix restores the node"
run --root="$node" --playbooks="$PLAYBOOKS" fix kubelet-strip-flags
is "$RC" 2 "fix takes no playbook names"

# A node file a match reads that does not parse is a problem found, not the end of the diagnosis:
# every other playbook is still asked and reported.
node=$(new_node broken-node)
printf 'version = 2\n[plugins\n' >"$node/etc/containerd/config.toml"
sed -i 's/^cgroupDriver: cgroupfs/cgroupDriver: systemd/' "$node/var/lib/kubelet/config.yaml"
run --root="$node" --playbooks="$PLAYBOOKS" diagnose
is "$RC" 1 "an unparseable containerd config: exit 1, a problem found"
contains "$OUT" "problem: /etc/containerd/config.toml:2:9: " "naming the file and position"
contains "$OUT" "(cannot judge: cgroup-driver-systemd, cni-placeholder)" "once, with every playbook it stopped"
contains "$OUT" "swap-off: Turn swap off" "the other playbooks are still asked: the sample node's swap is found"
run --root="$node" --playbooks="$PLAYBOOKS" --json diagnose
is "$(jq -r '.problems | length' <<<"$OUT")" 1 "--json: one problem"
is "$(jq -r '[.findings[].playbook] | index("swap-off") != null' <<<"$OUT")" true "--json: the other findings"
run --root="$node" --playbooks="$PLAYBOOKS" fix --yes --dry-run
is "$RC" 1 "fix: exit 1, something it could not judge"
contains "$ERR" "not fixed: /etc/containerd/config.toml:2:9: " "fix names it"
contains "$OUT" "swap-off" "and plans the others"
done_testing
