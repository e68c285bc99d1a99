#!/bin/bash
# SPDX-License-Identifier: MIT
# remedy's sd-bus and sd-journal layer against a real systemd: boots a lab node, installs the
# lab-*.service units that tests/lab/test-bus.c drives, runs that program inside the node (its
# TAP lines are carried over one by one), then stops dbus and checks that opening the bus fails
# with a one-line error.
#
#   TEST_BUS=build/tests/test-bus bash tests/lab/bus.sh      (or the binary as $1)
#
# Without root or systemd-nspawn it skips ("1..0 # SKIP"), except under CI=true where it fails.

SOURCE_ROOT=${SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=lab.sh
. "$SOURCE_ROOT/tests/lab/lab.sh"

TEST_BUS=${1:-${TEST_BUS:-}}
lab_require
if [ -z "$TEST_BUS" ] || [ ! -x "$TEST_BUS" ]; then
        echo "1..1"
        echo "not ok 1 - the test-bus binary (\$TEST_BUS or \$1) is missing: \"$TEST_BUS\""
        exit 1
fi

# Every unit is one behaviour the C test asserts on; see test-bus.c.
install_units() {
        local etc=$LAB_ROOT/etc/systemd/system lib=$LAB_ROOT/usr/lib/systemd/system
        mkdir -p "$etc" "$lib" || return 1
        printf '%s\n' '[Unit]' 'Description=lab sleep' '[Service]' 'ExecStart=/bin/sleep infinity' \
                '[Install]' 'WantedBy=multi-user.target' >"$etc/lab-sleep.service" || return 1
        # In /usr/lib, so that masking it needs no file in /etc to be replaced.
        printf '%s\n' '[Unit]' 'Description=lab mask' '[Service]' 'ExecStart=/bin/sleep infinity' \
                >"$lib/lab-mask.service" || return 1
        printf '%s\n' '[Unit]' 'Description=lab false' '[Service]' 'Type=oneshot' 'ExecStart=/bin/false' \
                >"$etc/lab-false.service" || return 1
        printf '%s\n' '[Unit]' 'Description=lab dep' 'Requires=lab-false.service' 'After=lab-false.service' \
                '[Service]' 'Type=oneshot' 'ExecStart=/bin/true' >"$etc/lab-dep.service" || return 1
        printf '%s\n' '[Unit]' 'Description=lab reload' '[Service]' 'ExecStart=/bin/sleep infinity' \
                'ExecReload=/bin/true' >"$etc/lab-reload.service" || return 1
        printf '%s\n' '[Unit]' 'Description=lab slow' '[Service]' 'Type=oneshot' 'ExecStart=/bin/sleep 5' \
                >"$etc/lab-slow.service" || return 1
        # $$ is systemd's escape for $: the shell prints the run's own invocation ID. Kept active
        # after it ran, so that systemd does not unload it and its InvocationID can be read.
        printf '%s\n' '[Unit]' 'Description=lab log' '[Service]' 'Type=oneshot' \
                'RemainAfterExit=yes' 'ExecStart=/bin/sh -c "echo lab-marker $$INVOCATION_ID"' >"$etc/lab-log.service" || return 1
        printf '%s\n' '[Unit]' 'Description=lab other' '[Service]' 'Type=oneshot' \
                'ExecStart=/bin/echo lab-other-marker' >"$etc/lab-other.service" || return 1
        # The node empties /tmp at boot: the binary goes into the node's own tree.
        install -D -m 0755 "$TEST_BUS" "$LAB_ROOT/usr/local/libexec/remedy-lab/test-bus"
}

# Runs the test program inside the node and carries its TAP results over.
run_inside() {
        local out rc line
        out=$(lab_run /usr/local/libexec/remedy-lab/test-bus "$@" 2>&1) && rc=0 || rc=$?
        while IFS= read -r line; do
                case $line in
                "ok "*) ok 0 "${line#ok * - }" ;;
                "not ok "*) ok 1 "${line#not ok * - }" ;;
                "#"*) echo "$line" ;;
                1..*) ;;
                *) echo "# $line" ;;
                esac
        done <<<"$out"
        is "$rc" 0 "test-bus${1:+ $1} exits 0 (no failed check, no sanitizer report)"
}

started=$EPOCHREALTIME
lab_setup || { ok 1 "lab_setup"; done_testing; }
install_units || { ok 1 "install the lab units"; done_testing; }
lab_boot || { ok 1 "the node boots"; done_testing; }
ok 0 "the node boots"
echo "# set up and booted in $(( (${EPOCHREALTIME/./} - ${started/./}) / 1000 )) ms"

run_inside

lab_run systemctl stop dbus.socket dbus.service
ok $? "stop dbus in the node"
run_inside no-bus

lab_teardown
ok $? "the node is torn down without leftovers"
done_testing
