#!/bin/bash
# SPDX-License-Identifier: MIT
# The man pages (docs/*.scd, built by scdoc): each renders with man-db and groff at 80 columns
# without a warning and without a line past the margin, and says what remedy has: remedy(8)
# every command and option of `remedy --help`, remedy.playbook(5) every top-level key, action,
# condition and check the playbook loader names in its errors.
# Usage: man.sh REMEDY-8 REMEDY-PLAYBOOK-5 (the built pages). Without them (no scdoc at build
# time) or without man the test skips, except under CI=true where it fails.
set -u
: "${REMEDY:?REMEDY: the remedy binary}"

TAP_N=0
TAP_FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/remedy-man-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ok() {   # ok CONDITION-EXIT-STATUS DESCRIPTION
        TAP_N=$((TAP_N + 1))
        if [ "$1" -eq 0 ]; then echo "ok $TAP_N - $2"; else echo "not ok $TAP_N - $2"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}
skip_or_fail() {
        if [ "${CI:-}" = true ]; then echo "1..1"; echo "not ok 1 - $1 (under CI=true)"; exit 1; fi
        echo "1..0 # SKIP $1"
        exit 0
}

[ $# -eq 2 ] || skip_or_fail "the man pages were not built (scdoc missing at meson setup)"
command -v man >/dev/null || skip_or_fail "man (man-db) is not installed"
page8=$1 page5=$2

# render PAGE: the text in $WORK/text, groff's and man's complaints in $WORK/warnings.
render() {
        MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$1" >"$WORK/text" 2>"$WORK/warnings"
}

for page in "$page8" "$page5"; do
        name=$(basename "$page")
        render "$page"
        ok $? "$name: man renders it"
        [ ! -s "$WORK/warnings" ]; ok $? "$name: no warnings"
        sed 's/^/#   /' "$WORK/warnings"
        [ "$(grep -c . "$WORK/text")" -gt 100 ]; ok $? "$name: the render has text"
        long=$(awk 'length > 80' "$WORK/text")
        [ -z "$long" ]; ok $? "$name: no line past 80 columns"
        [ -z "$long" ] || sed 's/^/#   /' <<<"$long"
done

# present PATTERN DESCRIPTION: an extended regular expression some line of the render matches.
present() {
        if grep -qE -- "$1" "$WORK/text"; then ok 0 "$2"; else ok 1 "$2"; echo "# no line matches: $1"; fi
}

render "$page8"
help=$("$REMEDY" --help)
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | grep -oE '^  [a-z]+' | tr -d ' ')
[ "$(wc -w <<<"$commands")" -ge 8 ]; ok $? "remedy --help names the commands ($(echo $commands))"
for c in $commands; do
        present "^ +remedy \[OPTIONS\] $c( |$)" "remedy.8: SYNOPSIS has $c"
        present "^       $c( |$)" "remedy.8: COMMANDS describes $c"
done
options=$(sed -n '/^Options:/,/^$/p' <<<"$help" | grep -oE -- '--[a-z-]+' | sort -u)
[ "$(wc -w <<<"$options")" -ge 20 ]; ok $? "remedy --help names the options"
for o in $options; do
        present "^       (-[a-z], )?$o([= ]|$)" "remedy.8: OPTIONS describes $o"
done
for s in 0 1 2; do
        present "^       $s$" "remedy.8: EXIT STATUS $s"
done
for section in ENVIRONMENT FILES EXAMPLES; do
        present "^$section$" "remedy.8: $section"
done
for example in "remedy diagnose" "remedy plan " "remedy apply " "remedy rollback --last" \
               "remedy backups list" "remedy backups show " "remedy --root=[^ ]+ diagnose"; do
        present "^ +# $example" "remedy.8: an example of $example"
done

# The loader's own lists, from its errors on a playbook with an unknown key in each place.
mkdir -p "$WORK/playbooks"
printf 'name: a\nbogus: 1\nsteps: [{name: a, daemon-reload: {}}]\n' >"$WORK/playbooks/a.yaml"
printf 'name: b\nsteps: [{name: a, bogus: {}}]\n' >"$WORK/playbooks/b.yaml"
printf 'name: c\nsteps: [{name: a, when: {bogus: 1}, daemon-reload: {}}]\n' >"$WORK/playbooks/c.yaml"
printf 'name: d\nsteps: [{name: a, daemon-reload: {}}]\nverify: [{bogus: 1}]\n' >"$WORK/playbooks/d.yaml"
chmod 0755 "$WORK" "$WORK/playbooks" && chmod 0644 "$WORK"/playbooks/*.yaml
errors=$("$REMEDY" --no-color --playbooks="$WORK/playbooks" list 2>/dev/null)
list_of() {   # list_of NAME: the names in the "(expected ...)" of playbook NAME's error
        grep "^$1 " <<<"$errors" | sed -n 's/.*(expected \(one of: \|[a-z]*, when, or one action: \)\{0,1\}\(.*\))$/\2/p' |
                sed 's/ or /, /' | tr -d ',' | tr ' ' '\n' | grep .
}
keys=$(list_of a) actions=$(list_of b) conditions=$(list_of c) checks=$(list_of d)
for l in keys actions conditions checks; do
        [ "$(wc -w <<<"${!l}")" -ge 5 ]; ok $? "the loader names its $l ($(echo ${!l}))"
done

render "$page5"
for k in $keys; do
        present "^       $k( |$)" "remedy.playbook.5: top-level key $k"
done
for a in $actions; do
        [ "$a" = name ] || [ "$a" = when ] && continue
        present "^       $a: \{" "remedy.playbook.5: action $a"
done
for c in $conditions; do
        present "(^ +|, )$c:" "remedy.playbook.5: condition $c"
done
for c in $checks; do
        present "^       $c(: \{|,|$)" "remedy.playbook.5: check $c"
done

echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]
