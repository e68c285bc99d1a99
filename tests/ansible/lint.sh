#!/bin/bash
# SPDX-License-Identifier: MIT
# The Ansible collection (contrib/ansible/ansible_collections/remedy/node) as Debian's tools judge
# it, offline: ansible-doc loads the module's documentation (DOCUMENTATION, EXAMPLES and RETURN
# must parse, the options match), ansible-galaxy builds the collection, ansible-playbook
# --syntax-check reads the lab's plays with the module and the role resolved, and ansible-lint's
# production profile passes the role and those plays.
# ansible-test sanity is not run: it installs its requirements into a venv with pip, from the
# network.
set -u
: "${SOURCE_ROOT:?SOURCE_ROOT: the source tree}"

n=0 failed=0
ok() {
        n=$((n + 1))
        if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() {
        [ "${CI:-}" = true ] && { echo "1..1"; echo "not ok 1 - $1 under CI=true"; exit 1; }
        echo "1..0 # SKIP $1"
        exit 0
}
command -v ansible-doc >/dev/null 2>&1 || skip "no ansible-doc (Debian's ansible)"

work=$(mktemp -d "${TMPDIR:-/tmp}/remedy-ansible-lint-XXXXXX")
trap 'rm -rf "$work"' EXIT
collections=$SOURCE_ROOT/contrib/ansible
collection=$collections/ansible_collections/remedy/node
export HOME=$work ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_LOCAL_TEMP=$work/tmp ANSIBLE_NOCOLOR=1 NO_COLOR=1
: >"$work/ansible.cfg"
export ANSIBLE_CONFIG=$work/ansible.cfg

doc=$(ansible-doc --json remedy.node.remedy 2>"$work/err")
ok $? "ansible-doc loads remedy.node.remedy"
[ -s "$work/err" ] && sed 's/^/# /' "$work/err"
# The options documented are the options the module takes.
documented=$(jq -r '.["remedy.node.remedy"].doc.options | keys | sort | join(" ")' <<<"$doc")
taken=$(python3 - "$collection/plugins/modules/remedy.py" <<'PY'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in ast.walk(tree):
    if isinstance(node, ast.keyword) and node.arg == "argument_spec":
        print(" ".join(sorted(kw.arg for kw in node.value.keywords)))
PY
)
[ "$documented" = "$taken" ]
ok $? "the documented options are the argument_spec's ($taken)"
[ "$documented" = "$taken" ] || echo "# documented: $documented"
jq -e '.["remedy.node.remedy"].examples | length > 0' <<<"$doc" >/dev/null &&
        jq -e '.["remedy.node.remedy"].return | has("backup_id")' <<<"$doc" >/dev/null
ok $? "with examples and the return values (backup_id)"

ansible-galaxy collection build "$collection" --output-path "$work/dist" >"$work/out" 2>&1
ok $? "ansible-galaxy collection build"
[ -s "$work/out" ] && grep -iv "^Created collection" "$work/out" | sed 's/^/# /'
contents=$(tar tzf "$work"/dist/remedy-node-*.tar.gz 2>/dev/null | sort | tr '\n' ' ')
for f in MANIFEST.json plugins/modules/remedy.py roles/remedy/tasks/main.yml; do
        grep -qw -- "$f" <<<"$contents"
        ok $? "the collection's archive holds $f"
done

for play in "$SOURCE_ROOT"/tests/lab/ansible/*.yml; do
        ansible-playbook -i localhost, --syntax-check "$play" >"$work/out" 2>&1
        rc=$?
        ok $rc "ansible-playbook --syntax-check ${play#"$SOURCE_ROOT"/}"
        [ $rc -eq 0 ] || sed 's/^/# /' "$work/out"
done

if command -v ansible-lint >/dev/null 2>&1; then
        # ansible-lint writes its cache below the project directory it runs in: a copy.
        mkdir -p "$work/ansible_collections/remedy" && cp -r "$collection" "$work/ansible_collections/remedy/node" &&
                cp "$SOURCE_ROOT"/tests/lab/ansible/*.yml "$work/ansible_collections/remedy/node/"
        (cd "$work/ansible_collections/remedy/node" && ANSIBLE_COLLECTIONS_PATH=$work ansible-lint --offline --profile production roles/remedy ./*.yml) >"$work/out" 2>&1
        rc=$?
        ok $rc "ansible-lint --offline --profile production: the role and the lab's plays"
        [ $rc -eq 0 ] || sed 's/^/# /' "$work/out"
else
        [ "${CI:-}" = true ] && ok 1 "ansible-lint is installed (CI=true)"
        echo "# no ansible-lint: not linted"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
