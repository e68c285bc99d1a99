#!/bin/bash
# SPDX-License-Identifier: MIT
# FAILURES.md B.17, live, with the real systemd-resolved: kubelet-resolv-conf on a node whose
# /etc/resolv.conf is resolved's stub (nameserver 127.0.0.53) and whose kubelet reads it
# (resolvConf: /etc/resolv.conf, as kubeadm writes it where resolved was not active at init).
#
# Debian's systemd-resolved is NOT installed on the host: its installation would make the host's
# /etc/resolv.conf the stub, and every lab node is an overlay of the host. tests/fetch-deb
# unpacks the package into a cache (tests/run-all does it; REMEDY_LAB_RESOLVED names another
# directory), and the scenario copies it into this node's root only, doing there what the
# package's postinst does (the stub symlink, the systemd-resolve user, the unit enabled). The
# node has only a loopback (LAB_PRIVATE_NETWORK): nothing resolved sends leaves it.
#
# 1. resolved without an upstream: its /run/systemd/resolve/resolv.conf lists no nameserver
#    ("# No DNS servers known."), which pods cannot use either. diagnose names
#    kubelet-resolv-conf; the fix's verify fails and config.yaml is rolled back byte for byte,
#    the kubelet restarted on it.
# 2. resolved with an upstream (DNS=192.0.2.53, a documentation address nothing answers on; the
#    verify judges the file the kubelet reads, not the server): fix --dry-run changes nothing,
#    fix without --yes applies nothing (confirm), fix --yes points the kubelet at resolved's
#    upstream file and restarts it, judged by systemd and a YAML parser; diagnose is clean;
#    rollback restores config.yaml byte for byte and restarts the kubelet on it.
# The host keeps systemd-resolved not installed and its /etc/resolv.conf as it was.
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"
. "$SOURCE_ROOT/tests/lab/scenario.sh"

export LAB_PRIVATE_NETWORK=1
config=/var/lib/kubelet/config.yaml
uplink=/run/systemd/resolve/resolv.conf
upstream=192.0.2.53
resolved=${REMEDY_LAB_RESOLVED:-/var/cache/remedy-lab/systemd-resolved}

lab_require
lab_skip_unless "$([ -x "$resolved/lib/systemd/systemd-resolved" ] ||
        echo "no systemd-resolved unpacked in $resolved (bash tests/fetch-deb systemd-resolved $resolved)")" \
        "systemd-resolved scenario"

# What must not change on the host: the package's state and its /etc/resolv.conf.
# (dpkg keeps or drops a "not-installed" record as it likes: either is not installed.)
host_state() {
        local status
        status=$(dpkg-query -W -f='${db:Status-Status}' systemd-resolved 2>/dev/null)
        echo "systemd-resolved ${status:-not-installed}" "$(readlink /etc/resolv.conf || echo file)" \
                "$(sha256sum </etc/resolv.conf | cut -d' ' -f1)"
}
host_before=$(host_state)

# install_resolved: Debian's systemd-resolved in the node's root, as dpkg would leave it there.
install_resolved() {
        # GNU tar keeps the node's merged-/usr symlinks (/lib -> usr/lib) that the package's paths cross.
        tar -C "$resolved" --exclude=./.unpacked -cf - . | tar -C "$LAB_ROOT" --keep-directory-symlink -xf - || return 1
        # postinst: the stub symlink, the user (sysusers.d), the unit enabled; all under --root.
        ln -sfn ../run/systemd/resolve/stub-resolv.conf "$LAB_ROOT/etc/resolv.conf" || return 1
        systemd-sysusers --root="$LAB_ROOT" systemd-resolve.conf || return 1
        systemctl --root="$LAB_ROOT" --quiet enable systemd-resolved.service
}

# resolved_upstream [DNS]: resolved's global DNS= (none: no upstream), in a resolved.conf.d
# drop-in; FallbackDNS= emptied so that only DNS= decides what the upstream file lists.
resolved_upstream() {
        mkdir -p "$LAB_ROOT/etc/systemd/resolved.conf.d" &&
                printf '[Resolve]\nDNS=%s\nFallbackDNS=\n' "${1:-}" >"$LAB_ROOT/etc/systemd/resolved.conf.d/lab.conf"
}

# wait_uplink TEXT: resolved's upstream file (re)written with TEXT.
wait_uplink() {
        local i
        for ((i = 0; i < 50; i++)); do
                lab_run cat "$uplink" 2>/dev/null | grep -qF -- "$1" && return 0
                sleep 0.2
        done
        diag "no \"$1\" in $uplink: $(lab_run cat "$uplink" 2>&1)"
        return 1
}

# The resolvConf the kubelet reads, and the rest of config.yaml, as a YAML parser sees them.
resolv_conf_key() {
        python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1])).get("resolvConf"))' "$LAB_ROOT$config"
}
config_rest() {
        python3 -c 'import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); d.pop("resolvConf", None); print(json.dumps(d, sort_keys=True))' \
                "$LAB_ROOT$config"
}

lab_setup || exit 1
lab_cni_config || exit 1
install_resolved || { lab_log "cannot install systemd-resolved in the node"; exit 1; }
resolved_upstream
lab_kubelet_config_set resolvConf /etc/resolv.conf
# The address the kubelet reports (no network: the loopback's), so that its status loop does not
# fail for want of a default route (kubelet-wait-online's case, not this one's).
printf 'KUBELET_EXTRA_ARGS=--node-ip=127.0.0.1\n' >"$LAB_ROOT/etc/default/kubelet"
lab_boot || exit 1
lab_wait_unit systemd-resolved.service active 20
ok $? "systemd-resolved runs in the node"
lab_wait_unit kubelet.service active 20
ok $? "the kubelet runs (it reads resolvConf only for pod sandboxes)"
is "$(readlink "$LAB_ROOT/etc/resolv.conf")" ../run/systemd/resolve/stub-resolv.conf "the node's /etc/resolv.conf is resolved's stub"
contains "$(lab_run cat /etc/resolv.conf)" "nameserver 127.0.0.53" "listing 127.0.0.53, written by resolved"
wait_uplink "# No DNS servers known."
ok $? "resolved's $uplink: no upstream known"
lacks "$(lab_run cat "$uplink")" "nameserver" "and no nameserver"
is "$(host_state)" "$host_before" "the host: systemd-resolved not installed, /etc/resolv.conf unchanged"

# ---- 1. no upstream: the fix cannot help, its verify fails and it is rolled back
node_findings
is "$DIAG_RC" 1 "diagnose exits 1"
is "$FOUND" kubelet-resolv-conf "diagnose names kubelet-resolv-conf, and nothing else"
contains "$DIAG_OUT" "the kubelet's resolvConf /etc/resolv.conf (set at $config:" "evidence: the setting and where it is set"
contains "$DIAG_OUT" "which is /run/systemd/resolve/stub-resolv.conf" "the stub the symlink leads to"
contains "$DIAG_OUT" "lists nameservers 127.0.0.53: loopback only" "and its loopback nameserver"
contains "$DIAG_OUT" "safety:  confirm" "class confirm"

before=$(node_sha256 "$config")
invocation=$(lab_unit_prop kubelet.service InvocationID)
node_remedy fix --yes
is "$RC" 1 "fix --yes exits 1: verification failed"
contains "$OUT" "FAILED  verify kubelet-resolv-conf" "the report names the failed check"
contains "$OUT" "lists no nameserver" "with the evidence: resolved's file lists no nameserver"
contains "$OUT" "was rolled back; the node is as it was" "and says it was rolled back"
is "$(node_sha256 "$config")" "$before" "config.yaml is back byte for byte"
is "$(last_txn_state)" rolled-back "the manifest says rolled-back"
is "$(resolv_conf_key)" /etc/resolv.conf "a YAML parser reads resolvConf /etc/resolv.conf again"
ok "$([ "$(lab_unit_prop kubelet.service InvocationID)" != "$invocation" ]; echo $?)" "the kubelet was restarted"
stays_up kubelet.service 3
ok $? "and runs on its old configuration"

# ---- 2. resolved with an upstream
resolved_upstream "$upstream"
lab_run systemctl restart systemd-resolved.service
wait_uplink "nameserver $upstream"
ok $? "resolved's $uplink lists its upstream $upstream"
node_findings
is "$FOUND" kubelet-resolv-conf "diagnose names kubelet-resolv-conf"

before=$(node_sha256 "$config")
rest_before=$(config_rest)
node_remedy fix --dry-run --yes
is "$RC" 0 "fix --dry-run exits 0"
contains "$OUT" "kubelet-resolv-conf:" "the plan has kubelet-resolv-conf"
contains "$OUT" "+resolvConf: $uplink" "setting resolvConf to resolved's upstream file"
contains "$OUT" "Nothing was changed (dry run)" "and changes nothing"
is "$(node_sha256 "$config")" "$before" "config.yaml unchanged"

node_remedy fix </dev/null
is "$(node_sha256 "$config")" "$before" "fix without --yes (no terminal) does not apply a confirm playbook"
contains "$OUT$ERR" "kubelet-resolv-conf" "and names it"

invocation=$(lab_unit_prop kubelet.service InvocationID)
node_remedy fix --yes
is "$RC" 0 "fix --yes exits 0"
[ "$RC" -eq 0 ] || diag "$OUT" "$ERR"
contains "$OUT" "verify kubelet-resolv-conf" "the verification ran"
is "$(resolv_conf_key)" "$uplink" "a YAML parser reads resolvConf $uplink"
is "$(config_rest)" "$rest_before" "and every other key of config.yaml as it was"
ok "$([ "$(lab_unit_prop kubelet.service InvocationID)" != "$invocation" ]; echo $?)" "the kubelet was restarted"
stays_up kubelet.service 3
ok $? "and stays up"
node_findings
is "$FOUND" "" "after the fix diagnose finds nothing"
is "$DIAG_RC" 0 "and exits 0"
node_remedy fix --yes
contains "$OUT" "nothing to fix" "a second fix has nothing to do"

invocation=$(lab_unit_prop kubelet.service InvocationID)
node_remedy rollback --last
is "$RC" 0 "rollback exits 0"
is "$(node_sha256 "$config")" "$before" "rollback restored config.yaml byte for byte"
is "$(resolv_conf_key)" /etc/resolv.conf "the kubelet's resolvConf is /etc/resolv.conf again"
ok "$([ "$(lab_unit_prop kubelet.service InvocationID)" != "$invocation" ]; echo $?)" "the kubelet was restarted on it"
stays_up kubelet.service 3
ok $? "and stays up"
node_findings
is "$FOUND" kubelet-resolv-conf "diagnose names kubelet-resolv-conf again"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
is "$(host_state)" "$host_before" "the host: systemd-resolved still not installed, /etc/resolv.conf unchanged"
done_testing
