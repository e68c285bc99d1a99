/* SPDX-License-Identifier: MIT */
/*
 * fstab swap entries, judged by the real consumers: systemd-fstab-generator names the swap units
 * (run as PID 1 of a fresh PID namespace with container= empty, so that it does not take this
 * machine for a container and skip swap), and util-linux's findmnt reads the edited file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/fstab.h"
#include "remedy/macro.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

#define FSTAB_GENERATOR "/lib/systemd/system-generators/systemd-fstab-generator"

static char *tmp;

static char **split_lines(const char *text) {
        char **l = NULL;
        for (const char *p = text; p && *p;) {
                size_t n = strcspn(p, "\n");
                char *line = strndup(p, n);
                if (!line || strv_consume(&l, line) < 0)
                        abort();
                p += n + (p[n] == '\n');
        }
        return l;
}

/* The swap units systemd-fstab-generator writes for the fstab at path, sorted, and (in
 * *ret_boot) those swap.target requires: the ones turned on at boot. */
static int generator_swaps(const char *path, char ***ret, char ***ret_boot) {
        _cleanup_free_ char *out = NULL, *env = NULL, *ls = NULL, *boot = NULL, *req = NULL;
        if (asprintf(&out, "%s/gen", tmp) < 0 || asprintf(&env, "SYSTEMD_FSTAB=%s", path) < 0 ||
            asprintf(&req, "%s/swap.target.requires", out) < 0)
                return -ENOMEM;
        rm_rf(out);
        if (mkdir(out, 0755) < 0)
                return -errno;
        char *argv[] = { (char *) "unshare", (char *) "--fork", (char *) "--pid", (char *) "--mount-proc", (char *) "env",
                         (char *) "container=", env, (char *) FSTAB_GENERATOR, out, out, out, NULL };
        if (run_capture(argv, NULL, NULL) != 0)
                return -EIO;
        char *ls_argv[] = { (char *) "ls", out, NULL };
        char *ls_req[] = { (char *) "ls", req, NULL };
        if (run_capture(ls_argv, &ls, NULL) != 0)
                return -EIO;
        (void) run_capture(ls_req, &boot, NULL);   /* absent when nothing is turned on at boot */
        char **all = split_lines(ls), **on = split_lines(boot), **swaps = NULL;
        for (char **s = all; s && *s; s++)
                if (strlen(*s) > 5 && streq(*s + strlen(*s) - 5, ".swap"))
                        (void) strv_extend(&swaps, *s);
        strv_free(all);
        *ret = swaps;
        *ret_boot = on;
        return 0;
}

static char *units_of(const FstabSwap *s, size_t n, bool boot_only) {
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        char **names = NULL;
        for (size_t i = 0; i < n; i++)
                if (!boot_only || !s[i].noauto)
                        (void) strv_extend(&names, s[i].unit);
        strv_sort(names);
        for (char **p = names; p && *p; p++)
                fprintf(out, "%s%s", p == names ? "" : " ", *p);
        strv_free(names);
        fclose(out);
        return text;
}

static char *joined(char **l) {
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        strv_sort(l);
        for (char **p = l; p && *p; p++)
                if (**p)
                        fprintf(out, "%s%s", p == l ? "" : " ", *p);
        fclose(out);
        return text;
}

/* findmnt's view of an fstab: one "SOURCE TARGET FSTYPE" line per entry. */
static char *findmnt(const char *path) {
        char *out = NULL;
        char *argv[] = { (char *) "findmnt", (char *) "--fstab", (char *) "--tab-file", (char *) path, (char *) "-n", (char *) "-r",
                         (char *) "-o", (char *) "SOURCE,TARGET,FSTYPE", NULL };
        int r = run_capture(argv, &out, NULL);
        if (r != 0 && r != 1) {   /* 1: no entries */
                free(out);
                return NULL;
        }
        return out ? out : strdup("");
}

static void check_fixture(const char *name, size_t expected) {
        _cleanup_free_ char *data = NULL, *error = NULL, *src = NULL, *edited = NULL, *edited_path = NULL;
        FstabSwap *swaps = NULL;
        size_t n = 0, size = 0, edited_size = 0;
        char **gen = NULL, **boot = NULL;

        if (asprintf(&src, "%s/fstab/%s", getenv("FIXTURES"), name) < 0 || asprintf(&edited_path, "%s/%s", tmp, name) < 0)
                abort();
        data = read_file(src, &size);
        int r = fstab_swaps(data, size, &swaps, &n, &error);
        ok(r == 0, "%s: parsed (%s)", name, error ? error : "no error");
        is_int((int) n, (int) expected, "%s: %zu swap entries", name, expected);

        ok(generator_swaps(src, &gen, &boot) == 0, "%s: systemd-fstab-generator ran", name);
        _cleanup_free_ char *ours = units_of(swaps, n, false), *theirs = joined(gen);
        is_str(ours, theirs, "%s: the same swap units as systemd-fstab-generator", name);
        _cleanup_free_ char *ours_boot = units_of(swaps, n, true), *theirs_boot = joined(boot);
        is_str(ours_boot, theirs_boot, "%s: the same ones turned on at boot (swap.target.requires)", name);
        strv_free(gen);
        strv_free(boot);
        gen = boot = NULL;

        ok(fstab_comment_out(data, size, swaps, n, &edited, &edited_size) == 0, "%s: commented out", name);
        is_int((int) edited_size, (int) (size + n), "%s: one byte more per swap line", name);
        write_file(edited_path, edited, edited_size);
        ok(generator_swaps(edited_path, &gen, &boot) == 0 && strv_length(gen) == 0,
           "%s: systemd-fstab-generator makes no swap unit of the edited file", name);
        strv_free(gen);
        strv_free(boot);

        /* Every other entry reads the same to findmnt, and removing the added '#'s gives the
         * original bytes back. */
        _cleanup_free_ char *before = findmnt(src), *after = findmnt(edited_path);
        _cleanup_free_ char *before_kept = NULL;
        size_t kept_size = 0;
        FILE *kept = open_memstream(&before_kept, &kept_size);
        for (char *line = before, *nl; line && *line; line = nl + 1) {
                nl = strchr(line, '\n');
                if (!nl)
                        break;
                if (!(nl - line >= 5 && !strncmp(nl - 5, " swap", 5)))
                        fwrite(line, 1, nl - line + 1, kept);
        }
        fclose(kept);
        is_str(after, before_kept, "%s: findmnt reads the other entries as before", name);
        size_t j = 0, k = 0, si = 0;
        bool same = true;
        while (j < edited_size) {
                if (si < n && k == swaps[si].start) {
                        same = same && edited[j] == '#';
                        j++;
                        si++;
                        continue;
                }
                same = same && edited[j] == data[k];
                j++;
                k++;
        }
        ok(same && k == size, "%s: every other byte as it was", name);
        fstab_swaps_free(swaps, n);
}

static void test_details(void) {
        _cleanup_free_ char *data = read_fixture("fstab/mixed.fstab", NULL), *error = NULL;
        FstabSwap *s = NULL;
        size_t n = 0;
        if (fstab_swaps(data, strlen(data), &s, &n, &error) != 0 || n != 5) {
                ok(false, "mixed.fstab: 5 swap entries (%s)", error ? error : "");
                fstab_swaps_free(s, n);
                return;
        }
        is_int((int) s[0].line, 2, "line numbers count from 1, after a CRLF line");
        is_str(s[1].source, "/var/lib/swap file", "libmount unescapes \\040 in a path");
        is_str(s[2].node, "/dev/disk/by-label/my\\x20swap", "a label becomes its udev link, encoded as udev does");
        ok(s[2].noauto && !s[0].noauto, "noauto is seen");
        is_str(s[3].node, "/dev/disk/by-partuuid/2a7b-01", "PARTUUID= becomes its link");
        fstab_swaps_free(s, n);

        static const struct {
                const char *text, *error;
        } bad[] = {
                { "/dev/sda1 / ext4 defaults 0 1\nID=abc none swap sw 0 0\n", "2: ID=abc: systemd names no swap unit after a ID= source" },
                { "swapfile none swap sw 0 0\n", "1: swapfile: not a path systemd can name a swap unit after" },
                { "/dev/sda1 / ext4 defaults 0 1\n/dev/sda2\n", "2: libmount cannot parse this line" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *e = NULL;
                s = NULL;
                n = 0;
                int r = fstab_swaps(bad[i].text, strlen(bad[i].text), &s, &n, &e);
                ok(r == -EINVAL && e && streq(e, bad[i].error), "bad input %zu: \"%s\" (got %d \"%s\")", i, bad[i].error, r,
                   e ? e : "");
        }
}

static void test_proc_swaps(void) {
        char **paths = NULL;
        /* The kernel's format (mm/swapfile.c swap_show), a path with a space escaped by seq_file. */
        const char *text = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                           "/dev/sda2                               partition\t8388604\t\t0\t\t-2\n"
                           "/var/lib/swap\\040file                     file\t\t1048572\t\t0\t\t-3\n"
                           "/dev/zram0                              partition\t2097136\t\t0\t\t100\n";
        ok(proc_swaps_parse(text, &paths) == 0 && strv_length(paths) == 3, "/proc/swaps: three areas");
        ok(paths && streq(paths[0], "/dev/sda2") && streq(paths[1], "/var/lib/swap file") && streq(paths[2], "/dev/zram0"),
           "their paths, the kernel's \\040 undone");
        strv_free(paths);
        paths = NULL;
        ok(proc_swaps_parse("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", &paths) == 0 && !paths,
           "the header alone: no swap");
        is_int(proc_swaps_parse("NAME TYPE SIZE\n", &paths), -EBADMSG, "another format is refused");
        char *real = read_file("/proc/swaps", NULL);
        ok(proc_swaps_parse(real, &paths) == 0, "this machine's /proc/swaps parses");
        free(real);
        strv_free(paths);
}

int main(void) {
        test_proc_swaps();
        if (access(FSTAB_GENERATOR, X_OK) != 0 || !program_exists("findmnt") || !program_exists("unshare") || geteuid() != 0) {
                ok(false, "systemd-fstab-generator, findmnt and unshare (as root) are the judges of these tests");
                return tap_done();
        }
        tmp = make_temp_dir("fstab");
        check_fixture("debian-installer.fstab", 1);
        check_fixture("ubuntu-cloud.fstab", 1);
        check_fixture("mixed.fstab", 5);
        check_fixture("no-swap.fstab", 0);
        test_details();
        rm_rf(tmp);
        free(tmp);
        return tap_done();
}
