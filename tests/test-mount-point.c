/* SPDX-License-Identifier: MIT */
/*
 * Which mount holds a binary, and whether it is noexec (diagnose's 203/EXEC): the fstab entry or
 * .mount unit over a path, and mount options read as the kernel applies them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/fstab.h"
#include "remedy/macro.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

static char *tmp;

/*
 * A filesystem mounted noexec (diagnose's 203/EXEC): mount_options_noexec() against the real
 * consumer, util-linux's mount(8) mounting a tmpfs with those options in a private mount
 * namespace, the kernel's flags read back by findmnt.
 */
static void test_noexec_options(void) {
        static const char * const options[] = {
                "noexec", "noexec,exec", "exec,noexec", "defaults", "defaults,nosuid,noexec",
                "ro,noexec,nofail,x-systemd.automount", "nodev,exec", "mode=0755,noexec,size=1m",
        };
        _cleanup_free_ char *dir = xasprintf("%s/noexec", tmp);
        mkdir(dir, 0755);
        for (size_t i = 0; i < ELEMENTSOF(options); i++) {
                _cleanup_free_ char *out = NULL, *err = NULL;
                char *argv[] = { (char *) "unshare", (char *) "--mount", (char *) "--propagation", (char *) "private",
                                 (char *) "sh", (char *) "-c",
                                 (char *) "mount -t tmpfs -o \"$1\" tmpfs \"$2\" && findmnt -n -o VFS-OPTIONS --mountpoint \"$2\"",
                                 (char *) "sh", (char *) options[i], dir, NULL };
                int r = run_capture(argv, &out, &err);
                ok(r == 0, "mount -o %s: a tmpfs mounts (%s)", options[i], err ? err : "");
                bool kernel = false;
                for (char *w = out ? strtok(out, ",\n") : NULL; w; w = strtok(NULL, ",\n"))
                        kernel |= streq(w, "noexec");
                ok(mount_options_noexec(options[i]) == kernel, "%s: %s, as the kernel has it", options[i],
                   kernel ? "noexec" : "exec");
        }
        rmdir(dir);
}

/* The fstab entry that holds a path: the longest mount point, as systemd-fstab-generator mounts
 * them at boot (hand-written cases). */

/* One unit file, no drop-ins: 1 with its Where=, 0 without one. */
static int parse_unit(const char *data, FstabMount *ret) {
        int r = mount_unit_parse_files(&data, 1, ret, NULL);
        if (r < 0)
                return r;
        return ret->target ? 1 : 0;
}
static void test_mount_for(void) {
        const char *fstab = "UUID=0a34 / ext4 errors=remount-ro 0 1\n"
                            "/dev/vdb1 /opt ext4 defaults,noexec 0 2\n"
                            "# /dev/vdx1 /opt/kubernetes ext4 defaults 0 2\n"
                            "/dev/vdc1 /opt/kube/ ext4 exec 0 2\n"
                            "/dev/vdd1 /optx ext4 noexec 0 2\n"
                            "/dev/vde1 /srv ext4 noauto,noexec 0 2\n"
                            "/dev/vdf1 /usr/local ext4 noexec 0 2\n"
                            "/dev/vdg1 /usr/local ext4 exec 0 2\n"
                            "/swap.img none swap sw 0 0\n";
        static const struct {
                const char *path, *target;
                unsigned line;
                bool noexec;
        } cases[] = {
                { "/opt/bin/kubelet", "/opt", 2, true },
                { "/opt/kube/bin/kubelet", "/opt/kube/", 4, false },
                { "/opt/kubernetes/bin/kubelet", "/opt", 2, true },       /* a comment mounts nothing */
                { "/optx", "/optx", 5, true },
                { "/srv/kubelet", "/", 1, false },                         /* noauto: not mounted at boot */
                { "/usr/local/bin/kubelet", "/usr/local", 7, true },       /* the first of two: the generator's */
                { "/usr/bin/kubelet", "/", 1, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(fstab_mount_done) FstabMount m = {};
                int r = fstab_mount_for(fstab, strlen(fstab), cases[i].path, &m);
                ok(r == 1 && streq_ptr(m.target, cases[i].target) && m.line == cases[i].line && m.noexec == cases[i].noexec,
                   "%s: on %s (line %u), %s; got %s line %u", cases[i].path, cases[i].target, cases[i].line,
                   cases[i].noexec ? "noexec" : "exec", strempty(m.target), m.line);
        }
        FstabMount none = {};
        is_int(fstab_mount_for("/swap.img none swap sw 0 0\n", 26, "/usr/bin/kubelet", &none), 0, "no entry holds it: 0");

        _cleanup_(fstab_mount_done) FstabMount u = {};
        const char *unit = "[Unit]\nDescription=kube\n[Mount]\nWhat=/dev/vdc1\nWhere=/opt/kubernetes\n"
                           "Options=exec\nOptions=nodev,noexec\n";
        ok(parse_unit(unit, &u) == 1 && streq_ptr(u.target, "/opt/kubernetes") && u.noexec && u.line == 7,
           "a .mount unit: Where=, and the last Options= with its line");
        fstab_mount_done(&u);
        ok(parse_unit("[Mount]\nWhere=/opt\nOptions=noexec\nOptions=\n", &u) == 1 && !u.noexec && u.line == 0,
           "an empty Options= resets it");
}

/* A .mount unit's lines are stripped as systemd's parser strips them (strstrip(): space, tab,
 * newline, carriage return), no more: a CRLF file and spaces around '=' read as systemd reads them. */
static void test_mount_unit_whitespace(void) {
        _cleanup_(fstab_mount_done) FstabMount u = {};
        ok(parse_unit("[Mount]\r\nWhere = /opt/kube \t\r\nOptions=\tnoexec\r\n", &u) == 1 &&
           streq_ptr(u.target, "/opt/kube") && u.noexec && u.line == 3,
           "CRLF, tabs and spaces around '=' are stripped; got %s", strempty(u.target));
        fstab_mount_done(&u);
        ok(parse_unit("[Mount]\nWhere=/opt\v\n", &u) == 1 && streq_ptr(u.target, "/opt\v"),
           "a vertical tab is not whitespace to systemd's parser: it stays in Where=");
}

int main(void) {
        if (!program_exists("findmnt") || !program_exists("unshare") || geteuid() != 0) {
                ok(false, "mount(8) and findmnt (as root, through unshare) are the judges of these tests");
                return tap_done();
        }
        tmp = make_temp_dir("mount-point");
        test_mount_for();
        test_mount_unit_whitespace();
        test_noexec_options();
        rm_rf(tmp);
        free(tmp);
        return tap_done();
}
