#!/bin/bash
# SPDX-License-Identifier: MIT
# The fault matrix's live half (issue 12 §4): remedy killed right after each D-Bus call that
# changes what systemd runs or enables (the crash shim's kill-bus mode: systemd did it, remedy
# never learnt that it did), on a real systemd. Each time, the next apply refuses and names
# rollback, and `rollback` puts the node back: the files byte for byte, and each unit's enablement
# and active state as they were. The count of calls comes from the shim, so a playbook that
# gains a unit step is covered without a change here.
#
# Every shipped playbook with a unit step is either broken here, one after another on the same
# node (MATRIX below, each with its break_NAME function), or listed in ELSEWHERE with the reason
# a container node cannot hold its failure; a new playbook with a unit step fails the first check
# until it is one or the other. For each, the apply is killed after its first call, then after
# its second, and so on, until an apply is not killed: that one completes, with its verify, makes
# as many calls as the shim counts, and fixes the node for the next break.
#
# The node is air-gapped (LAB_PRIVATE_NETWORK: loopback only, as sandbox-image needs and as the
# systemd-resolved copied into it needs, so that nothing it sends leaves the node) and runs
# Debian's systemd-resolved from tests/fetch-deb's cache, as lab-scenario-resolved does.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

[ -n "${CRASH_SHIM:-}" ] && [ -f "$CRASH_SHIM" ] || { echo "not ok 1 - CRASH_SHIM names the crash shim"; echo "1..1"; exit 1; }
export LAB_PRIVATE_NETWORK=1
resolved=${REMEDY_LAB_RESOLVED:-/var/cache/remedy-lab/systemd-resolved}
wait_online=systemd-networkd-wait-online.service
cni=/etc/cni/net.d/10-lab-bridge.conflist

files=(/etc/containerd/config.toml /var/lib/kubelet/config.yaml /var/lib/kubelet/kubeadm-flags.env
        /etc/kubernetes/kubelet.conf "$cni" /etc/cni/net.d/zz-remedy-placeholder.conflist
        /etc/systemd/system/kubelet.service /etc/systemd/system/multi-user.target.wants/kubelet.service
        /etc/systemd/system/multi-user.target.wants/containerd.service
        "/etc/systemd/system/network-online.target.wants/$wait_online"
        /etc/systemd/system/kubelet.service.d/20-remedy-network-online.conf /etc/fstab
        /etc/systemd/system/swap.img.swap)
units=(containerd.service kubelet.service "$wait_online" swap.img.swap)

MATRIX=(cgroup-driver-systemd kubelet-enable containerd-enable-cri kubelet-strip-flags kubelet-feature-gates
        kubelet-rotate-kubeconfig swap-off kubelet-allow-swap kubelet-resolv-conf cni-placeholder
        prejoin-cgroup-driver sandbox-image cri-endpoint kubelet-wait-online)
# playbook: why its failure cannot be held here, and where its kill points are (the same
# kill_points of scenario.sh, in the shim's kill-live mode: its D-Bus calls and its kernel changes).
declare -A ELSEWHERE=(
        [clock-sync]="a container shares the host's clock: killed after each call in lab-scenario-clock-sync-vm"
        [kernel-netfilter]="a container cannot load modules or set these sysctls: killed after each in lab-scenario-kernel-vm"
        [inotify-limits]="a container cannot set these sysctls: killed after each write and call in lab-scenario-kernel-vm"
)

# Which playbooks have a unit step, from the playbooks themselves.
for yaml in "$PLAYBOOKS"/*.yaml; do
        name=$(basename "$yaml" .yaml)
        python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(0 if any("unit" in s for s in d.get("steps") or []) else 1)' "$yaml" || continue
        in_matrix=0
        for m in "${MATRIX[@]}"; do [ "$m" = "$name" ] && in_matrix=1; done
        ok "$([ "$in_matrix" = 1 ] || [ -n "${ELSEWHERE[$name]:-}" ]; echo $?)" \
                "$name has a unit step: $([ "$in_matrix" = 1 ] && echo "killed after each D-Bus call below" || echo "${ELSEWHERE[$name]:-NOT COVERED: add it to MATRIX or ELSEWHERE}")"
done

# Without the unpacked systemd-resolved, kubelet-resolv-conf is skipped (a failure under CI=true).
if [ ! -x "$resolved/lib/systemd/systemd-resolved" ]; then
        why="no systemd-resolved unpacked in $resolved (bash tests/fetch-deb systemd-resolved $resolved)"
        if [ "${CI:-}" = true ]; then
                ok 1 "kubelet-resolv-conf cannot be broken under CI=true: $why"
        else
                echo "ok - kubelet-resolv-conf # SKIP $why"
        fi
        MATRIX=("${MATRIX[@]/kubelet-resolv-conf/}")
        resolved=
fi
# A container node sees the host's /proc/swaps: where the host has swap on, swap-off refuses (it
# cannot turn off what systemd does not manage there), and only the VM node can hold its failure.
if [ -n "$(tail -n +2 /proc/swaps)" ]; then
        echo "ok - swap-off # SKIP this machine has swap on, which the node sees: lab-scenario-swap-vm proves it"
        MATRIX=("${MATRIX[@]/swap-off/}")
fi

# What rollback must give back: file hashes, each unit's enablement, and the active state of
# the units in STABLE (a crash-looping kubelet is "active" or "activating" from one moment to the
# next: for it, LOOPS names it and crash_loops is asked instead).
STABLE=()
LOOPS=
node_state() {
        local u pki=("$LAB_ROOT"/var/lib/kubelet/pki/*)
        node_sha256 "${files[@]}" "${pki[@]#"$LAB_ROOT"}"
        for u in "${units[@]}"; do
                echo "$u $(lab_unit_prop "$u" UnitFileState)"
        done
        for u in "${STABLE[@]}"; do
                echo "$u $(lab_unit_prop "$u" ActiveState)"
        done
}

# After each kill and rollback (kill_points, scenario.sh): the crash-looping unit loops again.
loops_again() {
        [ -n "$LOOPS" ] || return 0
        crash_loops "$LOOPS"
        ok $? "$1, killed after call $2: $LOOPS crash-loops again, as before"
}
KILL_STATE=node_state KILL_AFTER=loops_again

# sees UNIT TEXT WHAT: the unit logged TEXT since the break began (CURSOR).
sees() {
        wait_journal_after "$CURSOR" "$1" "$2" 30
        ok $? "the broken node: $3"
}
restart() { lab_run systemctl restart "$@"; }

# break_PLAYBOOK: breaks the node the way PLAYBOOK fixes (the playbook before fixed its own
# break), shows the break as the kubelet, containerd or systemd report it, and sets STABLE,
# LOOPS and ARGS (the apply's options) where the defaults (both units stable, none) do not hold.

break_cgroup_driver_systemd() {   # seed 001: the cgroup drivers disagree
        lab_containerd_systemd_cgroup false
        restart containerd.service && restart kubelet.service
        sees kubelet.service "misconfiguration: kubelet cgroup driver" "the kubelet says its cgroup driver differs from containerd's"
        STABLE=(containerd.service) LOOPS=kubelet.service
}

break_kubelet_enable() {   # the kubelet stopped, disabled and masked
        lab_run systemctl disable --now kubelet.service >/dev/null 2>&1
        lab_run systemctl mask kubelet.service >/dev/null 2>&1
        is "$(lab_run systemctl is-enabled kubelet.service)" masked "the broken node: kubelet.service is masked"
}

break_containerd_enable_cri() {   # containerd without its CRI plugin (version 2 names it by its full ID)
        sed -i 's/^disabled_plugins = \[\]/disabled_plugins = ["io.containerd.grpc.v1.cri"]/' "$LAB_ROOT/etc/containerd/config.toml"
        restart containerd.service && restart kubelet.service
        sees kubelet.service "unknown service runtime.v1.RuntimeService" "the kubelet says containerd has no CRI runtime service"
        STABLE=(containerd.service) LOOPS=kubelet.service
}

break_kubelet_strip_flags() {   # a flag the kubelet does not know, as seed 004
        sed -i 's|^KUBELET_KUBEADM_ARGS="|&--improve-speed |' "$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
        restart kubelet.service
        sees kubelet.service "unknown flag: --improve-speed" "the kubelet refuses --improve-speed"
        STABLE=(containerd.service) LOOPS=kubelet.service
}

break_kubelet_feature_gates() {   # a gate removed in 1.28 left by an upgrade (FAILURES.md B.3)
        sed -i 's|^KUBELET_KUBEADM_ARGS="|&--feature-gates=KubeletCredentialProviders=true,GracefulNodeShutdown=true |' \
                "$LAB_ROOT/var/lib/kubelet/kubeadm-flags.env"
        restart kubelet.service
        sees kubelet.service "unrecognized feature gate: KubeletCredentialProviders" "the kubelet refuses the removed gate"
        STABLE=(containerd.service) LOOPS=kubelet.service
}

# Seed 001: the kubelet's client certificate expired while the node was off; the operator made a
# new kubeconfig with the cluster's CA and copied it to the node.
break_kubelet_rotate_kubeconfig() {
        lab_kubelet_cert "$(date -u -d '-400 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '-35 days' +%Y%m%d%H%M%SZ)" &&
                lab_node_kubeconfig "$LAB_ROOT/root/$LAB_NODE_NAME.conf" "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
                        "$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)"
        restart kubelet.service
        sees kubelet.service "in /etc/kubernetes/kubelet.conf is expired" "the kubelet says its client certificate is expired"
        STABLE=(containerd.service) LOOPS=kubelet.service ARGS=(--set "kubeconfig=/root/$LAB_NODE_NAME.conf")
}

# Seed 001: swap in the fstab, turned off by hand (`swapoff -a`): the next boot turns it on again.
break_swap_off() {
        printf '/swap.img\tnone\tswap\tsw\t0\t0\n' >>"$LAB_ROOT/etc/fstab"
        node_findings
        contains " $FOUND " " swap-off " "the broken node: diagnose names swap-off (swap on at boot)"
}

break_kubelet_allow_swap() {   # swap on (the stand-in's /proc/swaps, see lab_swap_on); it stays on
        lab_run sh -c 'printf "Filename\tType\tSize\tUsed\tPriority\n/swap.img\tfile\t2097148\t0\t-2\n" >/run/lab/swaps'
        restart kubelet.service
        sees kubelet.service "running with swap on is not supported" "the kubelet says swap is on"
        STABLE=(containerd.service) LOOPS=kubelet.service
}

break_kubelet_resolv_conf() {   # the kubelet reads resolved's stub (FAILURES.md B.17)
        lab_kubelet_config_set resolvConf /etc/resolv.conf
        node_findings
        contains " $FOUND " " kubelet-resolv-conf " "the broken node: diagnose names kubelet-resolv-conf (resolvConf lists 127.0.0.53 only)"
}

break_cni_placeholder() {   # seed 003: no CNI config yet
        mv "$LAB_ROOT$cni" "$LAB_DIR/"
        restart containerd.service
        sees containerd.service "no network config found in /etc/cni/net.d" "containerd finds no network config"
}
mend_cni_placeholder() {   # the real CNI arrives (containerd's config syncer takes it)
        rm "$LAB_ROOT/etc/cni/net.d/zz-remedy-placeholder.conflist" && mv "$LAB_DIR/${cni##*/}" "$LAB_ROOT$cni"
}

# A node before kubeadm join: none of the files join writes; containerd on cgroupfs. The packaged
# kubelet crash-loops until join, by design.
break_prejoin_cgroup_driver() {
        mv "$LAB_ROOT/var/lib/kubelet/config.yaml" "$LAB_ROOT/etc/kubernetes/kubelet.conf" "$LAB_DIR/"
        lab_containerd_systemd_cgroup false
        restart containerd.service && restart kubelet.service
        sees kubelet.service "failed to load kubelet config file" "the kubelet has no configuration yet"
        node_findings
        contains " $FOUND " " prejoin-cgroup-driver " "the broken node: diagnose names prejoin-cgroup-driver (not joined, containerd on cgroupfs)"
        STABLE=(containerd.service) LOOPS=kubelet.service
}
mend_prejoin_cgroup_driver() {   # join
        mv "$LAB_DIR/config.yaml" "$LAB_ROOT/var/lib/kubelet/" && mv "$LAB_DIR/kubelet.conf" "$LAB_ROOT/etc/kubernetes/"
        restart kubelet.service
}

# FAILURES.md B.22: the sandbox image names a registry the air-gapped node cannot reach, while its
# store holds the pause images it was provisioned with; a static pod makes the kubelet ask.
break_sandbox_image() {
        python3 "$SOURCE_ROOT/tests/lab/pause-archive.py" "$LAB_ROOT/root/pause.tar" &&
                lab_run ctr --namespace k8s.io images import /root/pause.tar >/dev/null 2>&1
        ok $? "ctr imports the pause images into containerd's store"
        sed -i 's|^\( *sandbox_image = \).*|\1"registry.invalid/pause:3.9"|' "$LAB_ROOT/etc/containerd/config.toml"
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: lab-static\n  namespace: kube-system\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/pause:3.9\n' \
                >"$LAB_ROOT/etc/kubernetes/manifests/lab-static.yaml"
        restart containerd.service && restart kubelet.service
        sees kubelet.service 'failed to get sandbox image \"registry.invalid/pause:3.9\": failed to pull image' \
                "the kubelet's pod sandbox fails on the pull of registry.invalid/pause:3.9"
}

break_cri_endpoint() {   # containerd stopped and disabled by hand
        lab_run systemctl disable --now containerd.service >/dev/null 2>&1
        restart kubelet.service
        is "$(lab_run systemctl is-enabled containerd.service)" disabled "the broken node: containerd.service is disabled"
        sees kubelet.service "code = Unavailable" "the kubelet says the runtime is unavailable"
        STABLE=(containerd.service) LOOPS=kubelet.service
}

# seed 000: nothing makes network-online.target wait. Last: its drop-in delays each later restart.
break_kubelet_wait_online() {
        is "$(lab_unit_prop $wait_online UnitFileState)" disabled "the broken node: $wait_online is disabled"
        ARGS=(--set delay=1s)
}

lab_setup || exit 1
lab_cni_config || exit 1
# No address but the loopback's: the kubelet is told its node IP, so that its status loop does not
# fail for want of a default route (kubelet-wait-online's symptom, not broken here).
printf 'KUBELET_EXTRA_ARGS=--node-ip=127.0.0.1\n' >"$LAB_ROOT/etc/default/kubelet"
# Nothing manages the loopback-only network: systemd-networkd masked, so that wait-online, once
# enabled, cannot hold the kubelet's restart for its timeout waiting for a link that never comes.
ln -sfn /dev/null "$LAB_ROOT/etc/systemd/system/systemd-networkd.service"
if [ -n "$resolved" ]; then
        # As lab-scenario-resolved's install_resolved does (the package's postinst, in the node
        # only), with an upstream nothing answers on (192.0.2.53: the playbook's verify judges the
        # file the kubelet would read, not the server).
        tar -C "$resolved" --exclude=./.unpacked -cf - . | tar -C "$LAB_ROOT" --keep-directory-symlink -xf - &&
                ln -sfn ../run/systemd/resolve/stub-resolv.conf "$LAB_ROOT/etc/resolv.conf" &&
                systemd-sysusers --root="$LAB_ROOT" systemd-resolve.conf &&
                systemctl --root="$LAB_ROOT" --quiet enable systemd-resolved.service &&
                mkdir -p "$LAB_ROOT/etc/systemd/resolved.conf.d" &&
                printf '[Resolve]\nDNS=192.0.2.53\nFallbackDNS=\n' >"$LAB_ROOT/etc/systemd/resolved.conf.d/lab.conf" ||
                { lab_log "cannot install systemd-resolved in the node"; exit 1; }
fi
lab_boot || exit 1
lab_wait_unit kubelet.service active 20
ok $? "the healthy node: the kubelet runs"

for name in "${MATRIX[@]}"; do
        [ -n "$name" ] || continue
        STABLE=(containerd.service kubelet.service) LOOPS='' ARGS=()
        CURSOR=$(journal_cursor)
        "break_${name//-/_}"
        kill_points kill-bus "$name" "${ARGS[@]}"
        if declare -F "mend_${name//-/_}" >/dev/null; then "mend_${name//-/_}"; fi
done

diag "D-Bus calls killed after, per playbook: ${KILL_SUMMARY[*]}"
ok "$([ "$KILL_POINTS" -ge 20 ]; echo $?)" "$KILL_POINTS D-Bus fault points exercised over ${#KILL_SUMMARY[@]} playbooks"
lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
