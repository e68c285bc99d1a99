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

# The folder rules: systemd/ reads units for any daemon and uses nothing of kubelet/.
below="$WORK/below"; filler "$below"
obj "$below" remedy/libremedy-core.a.p kubelet_kubelet-y.c "int kubelet_y(void) { return 1; }"
obj "$below" remedy/libremedy-core.a.p systemd_unit-x.c "int kubelet_y(void); int unit_x(void) { return kubelet_y(); }"
out=$(python3 "$CHECK" "$below"); rc=$?
is "$rc" 1 "systemd/ calling into kubelet/ fails the check"
contains "$out" "remedy/systemd/unit-x.c -> remedy/kubelet/kubelet-y.c (kubelet_y)" "naming the use"
contains "$out" "ok 2 - no circular dependency" "which is no cycle: the folder rule catches it on its own"

# ... nor of its headers: a type alone leaves no symbol; ninja's record of the headers each
# object was compiled from does. A ninja build of its own, with the deps handling meson writes.
if command -v ninja >/dev/null; then
        hdr="$WORK/hdr"; src="$WORK/hdr-src"; filler "$hdr"
        mkdir -p "$src/include/remedy" "$src/remedy/systemd" "$src/remedy/kubelet"
        echo 'typedef struct KubeletY { int y; } KubeletY;' >"$src/include/remedy/kubelet-y.h"
        printf '#include "remedy/kubelet-y.h"\nint kubelet_y(void) { return 1; }\n' >"$src/remedy/kubelet/kubelet-y.c"
        printf '#include "remedy/kubelet-y.h"\nint unit_x(void) { KubeletY k = { 2 }; return k.y; }\n' \
                >"$src/remedy/systemd/unit-x.c"
        printf '%s\n' 'rule cc' \
                '  command = cc -MD -MF $out.d -I../hdr-src/include -c $in -o $out' \
                '  depfile = $out.d' \
                '  deps = gcc' \
                'build remedy/libremedy-core.a.p/kubelet_kubelet-y.c.o: cc ../hdr-src/remedy/kubelet/kubelet-y.c' \
                'build remedy/libremedy-core.a.p/systemd_unit-x.c.o: cc ../hdr-src/remedy/systemd/unit-x.c' \
                >"$hdr/build.ninja"
        ninja -C "$hdr" >/dev/null; ok $? "ninja builds the tree with the header"
        out=$(python3 "$CHECK" "$hdr"); rc=$?
        is "$rc" 1 "systemd/ including a kubelet/ header, with no call, fails the check"
        contains "$out" "remedy/systemd/unit-x.c -> remedy/kubelet/kubelet-y.c (includes kubelet-y.h)" "naming the header"
        printf 'int unit_x(void) { return 2; }\n' >"$src/remedy/systemd/unit-x.c"
        ninja -C "$hdr" >/dev/null
        out=$(python3 "$CHECK" "$hdr"); rc=$?
        is "$rc" 0 "without the include it passes"
else
        TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP ninja is not installed: the header rule is not tested"
fi

empty="$WORK/empty"; mkdir -p "$empty"
out=$(python3 "$CHECK" "$empty"); rc=$?
is "$rc" 1 "a build tree without objects fails rather than passing on nothing"

done_testing
