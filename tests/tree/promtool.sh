#!/bin/bash
# SPDX-License-Identifier: MIT
# Prometheus' own checks (promtool, Debian's prometheus package): remedy's textfile metrics of
# every command that writes them pass `promtool check metrics` (the exposition format and the
# naming lints: base units, suffixes, HELP); contrib/prometheus/remedy-alerts.yml passes
# `promtool check rules` and its unit tests (remedy-alerts.test.yml: which alerts fire for given
# series); and every remedy_* metric the rules use is one remedy writes.
. "$(dirname "$0")/lib.sh"
: "${SOURCE_ROOT:?SOURCE_ROOT: the source tree}"

if ! command -v promtool >/dev/null; then
        if [ "${CI:-}" = true ]; then echo "1..1"; echo "not ok 1 - no promtool under CI=true (Debian's prometheus)"; exit 1; fi
        echo "1..0 # SKIP no promtool (Debian's prometheus package)"
        exit 0
fi
rules=$SOURCE_ROOT/contrib/prometheus/remedy-alerts.yml

# check_metrics FILE DESCRIPTION: promtool reads the file on stdin; any lint is printed, exit 3.
check_metrics() {
        local out rc
        out=$(promtool check metrics <"$1" 2>&1) && rc=0 || rc=$?
        is "$rc/$out" "0/" "promtool check metrics: $2"
}

mkdir -p "$WORK/auto" "$WORK/failing"
sed 's/^safety: confirm/safety: auto/' "$PLAYBOOKS/swap-off.yaml" >"$WORK/auto/swap-off.yaml"
sed -e 's/^safety: confirm/safety: auto/' -e 's/^  - swap: {on: false, fstab:/  - swap: {on: true, fstab:/' \
        "$PLAYBOOKS/swap-off.yaml" >"$WORK/failing/swap-off.yaml"

node=$(new_node broken-node)
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" --metrics-textfile="$WORK/diagnose.prom" diagnose
is "$RC" 1 "diagnose on the broken sample: findings"
check_metrics "$WORK/diagnose.prom" "diagnose with findings and an expired client certificate"
run --root="$node" --playbooks="$PLAYBOOKS" --backup-dir="$WORK/store" --metrics-textfile="$WORK/apply.prom" apply swap-off
check_metrics "$WORK/apply.prom" "apply"
run --root="$node" --backup-dir="$WORK/store" --metrics-textfile="$WORK/rollback.prom" rollback --last
check_metrics "$WORK/rollback.prom" "rollback"
run --root="$node" --playbooks="$WORK/auto" --backup-dir="$WORK/store" --metrics-textfile="$WORK/fix.prom" fix --unattended
is "$RC" 1 "fix --unattended: applied swap-off, other findings left"
check_metrics "$WORK/fix.prom" "fix --unattended, applied"
sed -i 's|^#/swap.img|/swap.img|' "$node/etc/fstab"; rm -f "$node/etc/systemd/system/swap.img.swap"
run --root="$node" --playbooks="$WORK/failing" --backup-dir="$WORK/store" --metrics-textfile="$WORK/breaker.prom" \
        fix --unattended --cooldown=0
check_metrics "$WORK/breaker.prom" "fix --unattended, rolled back, breaker open"
contains "$(cat "$WORK/breaker.prom")" "remedy_unattended_breaker_open 1" "(the breaker is open in it)"
run --root="$node" --metrics-textfile="$WORK/reset.prom" fix --reset
check_metrics "$WORK/reset.prom" "fix --reset"

out=$(promtool check rules "$rules" 2>&1); rc=$?
is "$rc" 0 "promtool check rules: remedy-alerts.yml"
contains "$out" "SUCCESS" "it says so"
out=$(cd "$(dirname "$rules")" && promtool test rules remedy-alerts.test.yml 2>&1); rc=$?
is "$rc" 0 "promtool test rules: the alerts fire as remedy-alerts.test.yml says"
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/# /' | head -40

# The rules name metrics remedy writes (a renamed metric would leave an alert that never fires).
written=$(cat "$WORK"/*.prom | sed -n 's/^# TYPE \(remedy_[a-z_]*\) .*/\1/p' | sort -u)
for m in $(grep -o 'remedy_[a-z_]*' "$rules" | grep -v '^remedy_alerts' | sort -u); do
        ok "$(grep -qx "$m" <<<"$written"; echo $?)" "the rules' $m is a metric remedy writes"
done
done_testing
