#!/bin/bash
# SPDX-License-Identifier: MIT
# check-cycles itself: on a small build tree made here, it must fail on a cycle between two
# files and on a use that goes up the layers, naming the files and the symbols, and pass on a
# tree without either. (A checker that cannot fail proves nothing about the real tree.)
. "$(dirname "$0")/../tree/lib.sh"
CHECK="$(dirname "$0")/check-cycles"

obj() {   # obj BUILD-DIR TARGET-DIR SOURCE-NAME C-TEXT: compiles C-TEXT as meson would name it
        mkdir -p "$1/$2"
        printf '%s\n' "$4" | cc -x c -c -o "$1/$2/$3.o" -
}
filler() {   # ten objects that use nothing, so that the tree is not "too small"
        for i in 0 1 2 3 4 5 6 7 8 9; do obj "$1" basic/libremedy-basic.a.p "f$i.c" "int f$i(void) { return $i; }"; done
}

clean="$WORK/clean"; filler "$clean"
obj "$clean" remedy/libremedy-core.a.p engine_a.c "int b(void); int a(void) { return b(); }"
obj "$clean" remedy/libremedy-core.a.p edit_b.c "int f0(void); int b(void) { return f0(); }"
out=$(python3 "$CHECK" "$clean"); rc=$?
is "$rc" 0 "a tree whose uses go one way passes"
contains "$out" "ok 2 - no circular dependency" "and says so"

cycle="$WORK/cycle"; filler "$cycle"
obj "$cycle" remedy/libremedy-core.a.p engine_a.c "int b(void); int a(void) { return b(); }"
obj "$cycle" remedy/libremedy-core.a.p edit_b.c "int a(void); int b(void) { return a(); }"
out=$(python3 "$CHECK" "$cycle"); rc=$?
is "$rc" 1 "a cycle between two files fails the check"
contains "$out" "# cycle: remedy/edit/b.c, remedy/engine/a.c" "the cycle names both files, with their folders"
contains "$out" "remedy/engine/a.c -> remedy/edit/b.c (b)" "and the symbol that closes it"

up="$WORK/up"; filler "$up"
obj "$up" remedy/libremedy-core.a.p engine_a.c "int a(void) { return 1; }"
obj "$up" basic/libremedy-basic.a.p strv.c "int a(void); int strv(void) { return a(); }"
out=$(python3 "$CHECK" "$up"); rc=$?
is "$rc" 1 "basic/ using remedy/ fails the check"
contains "$out" "basic/strv.c -> remedy/engine/a.c (a)" "naming the use"

empty="$WORK/empty"; mkdir -p "$empty"
out=$(python3 "$CHECK" "$empty"); rc=$?
is "$rc" 1 "a build tree without objects fails rather than passing on nothing"

done_testing
