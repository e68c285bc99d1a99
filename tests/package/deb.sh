#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian package: built with dpkg-buildpackage from a clean copy of the tracked sources,
# judged by lintian (no error, no warning), then installed, used and purged in a lab node (a
# throwaway overlay of this machine's root, booted with systemd-nspawn: never the host itself).
set -u
. "$SOURCE_ROOT/tests/lab/lab.sh"

lab_require || exit 0

# A clean tree: what git tracks, as it is in the working copy, without any build directory.
src="$WORK/src"
mkdir -p "$src"
git -C "$SOURCE_ROOT" ls-files -z | tar -C "$SOURCE_ROOT" --null -T - -cf - | tar -C "$src" -xf -
ok $? "a clean copy of the tracked sources"
# nocheck: the package's own test run is the unit suite, which this suite has run already.
(cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1)
rc=$?
is "$rc" 0 "dpkg-buildpackage -us -uc -b builds"
[ "$rc" -eq 0 ] || tail -20 "$WORK/build.log" | sed 's/^/# /'
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
deb="$WORK/remedy_${version}_$(dpkg --print-architecture).deb"
test -f "$deb"; ok $? "it made $(basename "$deb")"
[ -f "$deb" ] || done_testing

tags=$(lintian --no-cfg -I "$deb" 2>/dev/null)
is "$(grep -E '^[EW]: ' <<<"$tags")" "" "lintian: no error and no warning"
grep -E '^[IN]: ' <<<"$tags" | sed 's/^/# lintian: /'
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
contains "$contents" "./usr/sbin/remedy" "the binary is in /usr/sbin"
contains "$contents" "./usr/share/remedy/playbooks/cni-placeholder.yaml" "the playbooks are in /usr/share/remedy/playbooks"
contains "$contents" "./etc/remedy/playbooks/" "/etc/remedy/playbooks is there for local playbooks"
contains "$contents" "./usr/share/man/man8/remedy.8.gz" "remedy(8) is there"
contains "$contents" "./usr/share/man/man5/remedy.playbook.5.gz" "remedy.playbook(5) is there"
contains "$contents" "./usr/share/bash-completion/completions/remedy" "the bash completion is where bash-completion looks"

lab_setup || exit 1
cp "$deb" "$LAB_ROOT/root/remedy.deb"
lab_boot || exit 1
out=$(lab_run dpkg -i /root/remedy.deb 2>&1); rc=$?
is "$rc" 0 "dpkg -i installs it in the node"
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/# /'
is "$(lab_run stat -c '%a %U' /var/lib/remedy)" "700 root" "/var/lib/remedy is made 0700 root"
out=$(lab_run /usr/sbin/remedy list 2>&1)
contains "$out" "cni-placeholder" "remedy list shows the shipped playbooks"
is "$(lab_run man -w 8 remedy 2>&1)" "/usr/share/man/man8/remedy.8.gz" "man -w 8 remedy finds the page"
out=$(lab_run bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader remedy; complete -p remedy' 2>&1)
contains "$out" "complete -F _remedy remedy" "bash loads the completion for remedy"
lab_run /usr/sbin/remedy --json diagnose >"$WORK/diagnose.json" 2>/dev/null; rc=$?
ok "$( [ "$rc" -le 1 ]; echo $?)" "remedy diagnose runs on the node (exit $rc)"

# The units: shipped off, clean for systemd-analyze, and the service's findings in the journal.
is "$(lab_run systemctl is-enabled remedy-diagnose.timer 2>&1)" "disabled" "the timer is not enabled by the package"
is "$(lab_run systemctl is-enabled remedy-fix.timer 2>&1)" "disabled" "the unattended repair timer is not enabled by the package"
out=$(lab_run systemd-analyze verify /lib/systemd/system/remedy-diagnose.service /lib/systemd/system/remedy-diagnose.timer \
        /lib/systemd/system/remedy-fix.service /lib/systemd/system/remedy-fix.timer 2>&1)
is "$out" "" "systemd-analyze verify: the units are clean"
exposure=$(lab_run systemd-analyze security remedy-diagnose.service 2>/dev/null | sed -n 's/.*Overall exposure level for remedy-diagnose.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security: exposure $exposure"
ok "$(awk -v e="${exposure:-99}" 'BEGIN { exit !(e < 2.5) }'; echo $?)" "systemd-analyze security: exposure $exposure, below 2.5"
lab_run systemctl start remedy-diagnose.service
is "$(lab_unit_prop remedy-diagnose.service Result)" "success" "the service runs diagnose to the end in its sandbox"
findings=$(lab_run journalctl -q -o json MESSAGE_ID=deed756c87ca41019ee790b01ce54432 | jq -r 'select(.REMEDY_PLAYBOOK) | .REMEDY_PLAYBOOK' | sort -u)
is "$findings" "$(jq -r '.findings[] | select(.kind == "playbook") | .playbook' "$WORK/diagnose.json" | sort -u)" "each finding is a journal entry with MESSAGE_ID and REMEDY_PLAYBOOK ($(echo $findings))"
test -n "$findings"; ok $? "the lab node's findings are there"
[ -n "$findings" ] || { lab_unit_prop remedy-diagnose.service ExecMainStatus; lab_run journalctl -q -o cat -u remedy-diagnose.service; } | tail -30 | sed 's/^/# /'

# A backup made by a real apply survives purge; an empty store goes with it.
lab_run /usr/sbin/remedy apply cni-placeholder >/dev/null 2>&1
out=$(lab_run dpkg --purge remedy 2>&1); rc=$?
is "$rc" 0 "dpkg --purge removes it"
contains "$out" "/var/lib/remedy still holds backups" "purge says the backups were kept"
lab_run test -e /usr/sbin/remedy; ok $((! $?)) "the binary is gone"
lab_run test -d /var/lib/remedy/backups; ok $? "the backups are kept"
lab_run rm -r /var/lib/remedy
lab_run dpkg -i /root/remedy.deb >/dev/null 2>&1
lab_run dpkg --purge remedy >/dev/null 2>&1
lab_run test -e /var/lib/remedy; ok $((! $?)) "purged with no backups, /var/lib/remedy goes too"

lab_teardown
is "$(lab_leftovers)" "" "no process or mount is left behind"
done_testing
