/* SPDX-License-Identifier: MIT */
/*
 * Swap turned on at boot, judged by the real consumers. fstab swap entries: systemd-fstab-generator
 * names the swap units (run as PID 1 of a fresh PID namespace with container= empty, so that it
 * does not take this machine for a container and skip swap), and util-linux's findmnt reads the
 * edited file. zram-generator's configuration: Debian 12's zram-generator 1.1.2 (package
 * systemd-zram-generator, unpacked rather than installed: see ZRAM_GENERATORS) writes its units
 * for each test tree (ZRAM_GENERATOR_ROOT, its test mode), and remedy must name the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/fstab.h"
#include "remedy/macro.h"
#include "remedy/strv.h"
#include "remedy/swap-state.h"
#include "remedy/zram-config.h"
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
        _cleanup_free_ char *data = NULL, *src = NULL, *edited = NULL, *edited_path = NULL;
        _cleanup_strv_free_ char **notes = NULL;
        FstabSwap *swaps = NULL;
        size_t n = 0, size = 0, edited_size = 0;
        char **gen = NULL, **boot = NULL;

        if (asprintf(&src, "%s/fstab/%s", getenv("FIXTURES"), name) < 0 || asprintf(&edited_path, "%s/%s", tmp, name) < 0)
                abort();
        data = read_file(src, &size);
        int r = fstab_swaps(data, size, &swaps, &n, &notes);
        ok(r == 0 && !notes, "%s: parsed, nothing skipped (%s)", name, notes ? notes[0] : "no note");
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
        _cleanup_free_ char *data = read_fixture("fstab/mixed.fstab", NULL);
        _cleanup_strv_free_ char **notes = NULL;
        FstabSwap *s = NULL;
        size_t n = 0;
        if (fstab_swaps(data, strlen(data), &s, &n, &notes) != 0 || n != 5) {
                ok(false, "mixed.fstab: 5 swap entries (%s)", notes ? notes[0] : "");
                fstab_swaps_free(s, n);
                return;
        }
        is_int((int) s[0].line, 2, "line numbers count from 1, after a CRLF line");
        is_str(s[1].source, "/var/lib/swap file", "libmount unescapes \\040 in a path");
        is_str(s[2].node, "/dev/disk/by-label/my\\x20swap", "a label becomes its udev link, encoded as udev does");
        ok(s[2].noauto && !s[0].noauto, "noauto is seen");
        is_str(s[3].node, "/dev/disk/by-partuuid/2a7b-01", "PARTUUID= becomes its link");
        fstab_swaps_free(s, n);

        /* Odd lines, judged by systemd-fstab-generator itself: a tag systemd does not know and a
         * relative path still name units; a line libmount cannot parse is skipped, with a note,
         * and the good entries around it are kept. */
        static const struct {
                const char *text, *note;
        } odd[] = {
                { "/dev/sda1 / ext4 defaults 0 1\nID=abc none swap sw 0 0\n/dev/sdb2 none swap sw 0 0\n", NULL },
                { "swapfile none swap sw 0 0\n/dev/sdb2 none swap sw 0 0\n", NULL },
                { "...\n/dev/sdb2 none swap sw 0 0\n", "1: libmount cannot parse this line; it and systemd skip it" },
        };
        for (size_t i = 0; i < ELEMENTSOF(odd); i++) {
                _cleanup_strv_free_ char **skipped = NULL, **gen = NULL, **boot = NULL;
                _cleanup_free_ char *path = NULL, *units = NULL, *theirs = NULL;
                s = NULL;
                n = 0;
                int r = fstab_swaps(odd[i].text, strlen(odd[i].text), &s, &n, &skipped);
                ok(r == 0 && (odd[i].note ? strv_length(skipped) == 1 && streq(skipped[0], odd[i].note) : !skipped),
                   "odd line %zu: %s (got %d \"%s\")", i, odd[i].note ? odd[i].note : "no note", r, skipped ? skipped[0] : "");
                if (asprintf(&path, "%s/odd-%zu", tmp, i) < 0)
                        abort();
                write_file(path, odd[i].text, strlen(odd[i].text));
                ok(generator_swaps(path, &gen, &boot) == 0, "odd line %zu: systemd-fstab-generator ran", i);
                units = units_of(s, n, false);
                theirs = joined(gen);
                is_str(units, theirs, "odd line %zu: the same swap units as systemd-fstab-generator (it skips the line too)", i);
                fstab_swaps_free(s, n);
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
        strv_free(paths);
        paths = NULL;
        /* util-linux's copy of a real /proc/swaps (real-world corpus): a partition, a file, and a
         * deleted file whose name the kernel wrote with " (deleted)" escaped */
        char *util_linux = read_fixture("real-world/fstab/proc-swaps.util-linux", NULL);
        ok(proc_swaps_parse(util_linux, &paths) == 0 && strv_length(paths) == 3, "util-linux's /proc/swaps: three areas");
        ok(paths && streq(paths[0], "/dev/dm-2") && streq(paths[1], "/some/swapfile") &&
           streq(paths[2], "/some/swapfile2 (deleted)"), "their paths, \\040 undone");
        free(util_linux);
        free(real);
        strv_free(paths);
}

/* The judge of the zram tests: Debian 12's zram-generator, unpacked (as tests/run-all leaves it:
 * an installed one would give its [zram0] to every lab node, an overlay of this machine's root)
 * or installed. */
static const char * const ZRAM_GENERATORS[] = {
        "/var/cache/remedy-lab/zram-generator/lib/systemd/system-generators/zram-generator",
        "/lib/systemd/system-generators/zram-generator",
};

static const char *zram_generator(void) {
        for (size_t i = 0; i < ELEMENTSOF(ZRAM_GENERATORS); i++)
                if (access(ZRAM_GENERATORS[i], X_OK) == 0)
                        return ZRAM_GENERATORS[i];
        return NULL;
}

/* A file (data; "@NAME" is the fixture zram/NAME), a symlink (link) or, with neither, a directory. */
typedef struct TreeEntry {
        const char *path;
        const char *data;
        const char *link;
} TreeEntry;

static void make_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                abort();
        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                (void) mkdir(p, 0755);
                *slash = '/';
        }
}

static void make_tree(const char *root, const TreeEntry *entries, size_t n) {
        for (size_t i = 0; i < n && entries[i].path; i++) {
                const TreeEntry *e = &entries[i];
                _cleanup_free_ char *p = xasprintf("%s%s", root, e->path);
                make_parents(p);
                if (e->link) {
                        if (symlink(e->link, p) < 0)
                                abort();
                } else if (e->data && e->data[0] == '@') {
                        _cleanup_free_ char *name = xasprintf("zram/%s", e->data + 1);
                        size_t size = 0;
                        _cleanup_free_ char *data = read_fixture(name, &size);
                        write_file(p, data, size);
                } else if (e->data)
                        write_file(p, e->data, strlen(e->data));
                else if (mkdir(p, 0755) < 0)
                        abort();
        }
}

static char *join_words(char **l, const char *sep) {
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        if (!out)
                abort();
        for (char **p = l; p && *p; p++)
                fprintf(out, "%s%s", p == l ? "" : sep, *p);
        fclose(out);
        return text;
}

/* remedy's view: the units in its order, "FILE:LINE [zramN]" for each, or the ctx_error. */
static int remedy_zram(const char *root, char **ret_units, char **ret_where, char **ret_error) {
        _cleanup_(root_freep) Root *r = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_strv_free_ char **units = NULL, **where = NULL;
        ZramSwap *s = NULL;
        size_t n = 0;
        if (root_open(root, &r) < 0 || context_new(r, true, &c) < 0)
                abort();
        int rc = zram_config_swaps(c, &s, &n);
        if (rc < 0) {
                *ret_error = strdup(c->error ? c->error : strerror(-rc));
                return rc;
        }
        for (size_t i = 0; i < n; i++)
                if (strv_extend(&units, s[i].unit) < 0 || strv_consume(&where, xasprintf("%s:%u [%s]", s[i].file, s[i].line, s[i].device)) < 0)
                        abort();
        zram_swaps_free(s, n);
        *ret_units = join_words(units, " ");
        *ret_where = join_words(where, "; ");
        return 0;
}

/* The generator's view: the swap units it writes for the tree (sorted), or its exit status. */
static int generator_zram(const char *generator, const char *root, char **ret_units) {
        _cleanup_free_ char *out = xasprintf("%s-gen", root), *meminfo = xasprintf("%s/proc/meminfo", root);
        _cleanup_free_ char *env = xasprintf("ZRAM_GENERATOR_ROOT=%s", root), *ls = NULL;
        /* Sizes are of the RAM in the root's meminfo: 4 GiB, as a small node has. */
        static const char mem[] = "MemTotal:        4028108 kB\nMemFree:         1822360 kB\n";
        rm_rf(out);
        if (mkdir(out, 0755) < 0)
                abort();
        make_parents(meminfo);
        write_file(meminfo, mem, strlen(mem));
        char *argv[] = { (char *) "env", env, (char *) generator, out, NULL };
        int rc = run_capture(argv, NULL, NULL);
        if (rc != 0)
                return rc;
        char *ls_argv[] = { (char *) "ls", out, NULL };
        if (run_capture(ls_argv, &ls, NULL) != 0)
                abort();
        char **all = split_lines(ls), **swaps = NULL;
        for (char **p = all; p && *p; p++)
                if (endswith(*p, ".swap") && strv_extend(&swaps, *p) < 0)
                        abort();
        strv_free(all);
        strv_sort(swaps);
        *ret_units = join_words(swaps, " ");
        strv_free(swaps);
        return 0;
}

static char *sorted_words(const char *text) {
        char **words = NULL;
        _cleanup_free_ char *copy = strdup(text);
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                if (strv_extend(&words, w) < 0)
                        abort();
        strv_sort(words);
        char *joined_text = join_words(words, " ");
        strv_free(words);
        return joined_text;
}

#define ZRAM_MAIN_USR "/usr/lib/systemd/zram-generator.conf"
#define ZRAM_MAIN_ETC "/etc/systemd/zram-generator.conf"
#define ZRAM_DROPINS_ETC "/etc/systemd/zram-generator.conf.d"

typedef struct ZramCase {
        const char *name;
        TreeEntry files[6];
        const char *units;   /* remedy's, in order; NULL: an error */
        const char *where;   /* or the error */
} ZramCase;

static const ZramCase zram_cases[] = {
        { "Fedora's default (zram-generator-defaults)", { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" } },
          "dev-zram0.swap", ZRAM_MAIN_USR ":7 [zram0]" },
        { "Debian 12's systemd-zram-generator", { { ZRAM_MAIN_ETC, "@debian-zram-generator.conf" } },
          "dev-zram0.swap", ZRAM_MAIN_ETC ":13 [zram0]" },
        { "no configuration", { { "/etc/fstab", "" } }, "", "" },
        { "an empty /etc file replaces Fedora's (its own comment says so)",
          { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" }, { ZRAM_MAIN_ETC, "" } }, "", "" },
        { "a link to /dev/null in /etc does too",
          { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" }, { ZRAM_MAIN_ETC, NULL, "/dev/null" } }, "", "" },
        { "a dangling link does not exist: Fedora's is read",
          { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" }, { ZRAM_MAIN_ETC, NULL, "/nowhere.conf" } },
          "dev-zram0.swap", ZRAM_MAIN_USR ":7 [zram0]" },
        { "only the first main file is read (/run before /etc)",
          { { ZRAM_MAIN_ETC, "[zram0]\n" }, { "/run/systemd/zram-generator.conf", "\n[zram1]\n" } },
          "dev-zram1.swap", "/run/systemd/zram-generator.conf:2 [zram1]" },
        { "a drop-in sizes Fedora's device 0",
          { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" }, { ZRAM_DROPINS_ETC "/90-off.conf", "[zram0]\nzram-size = 0\n" } },
          "", "" },
        { "a /run drop-in linked to /dev/null removes /etc's of the same name",
          { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" }, { ZRAM_DROPINS_ETC "/90-off.conf", "[zram0]\nzram-size = 0\n" },
            { "/run/systemd/zram-generator.conf.d/90-off.conf", NULL, "/dev/null" } },
          "dev-zram0.swap", ZRAM_MAIN_USR ":7 [zram0]" },
        { "drop-ins by name whatever their directory; /etc's replaces /usr/lib's of the same name",
          { { "/usr/lib/systemd/zram-generator.conf.d/10-a.conf", "[zram1]\n[zram2]\n" },
            { ZRAM_DROPINS_ETC "/10-a.conf", "# the admin's\n[zram2]\n" },
            { "/usr/lib/systemd/zram-generator.conf.d/20-b.conf", "[zram2]\nzram-size = 0\n[zram3]\n" } },
          "dev-zram3.swap", "/usr/lib/systemd/zram-generator.conf.d/20-b.conf:3 [zram3]" },
        { "hidden, non-.conf, directory and linked drop-ins are not read",
          { { ZRAM_DROPINS_ETC "/.hidden.conf", "[zram1]\n" }, { ZRAM_DROPINS_ETC "/x.cfg", "[zram2]\n" },
            { ZRAM_DROPINS_ETC "/dir.conf" }, { "/etc/systemd/real.conf", "[zram3]\n" },
            { ZRAM_DROPINS_ETC "/linked.conf", NULL, "../real.conf" } },
          "", "" },
        { "swap devices only, numbered, in number order",
          { { ZRAM_MAIN_ETC, "compression-algorithm = zstd\n"
                             "[zram10]\n"
                             "[zram0]\n"
                             "compression-algorithm = lzo-rle\n"
                             "[zram1]\n"
                             "mount-point = /var/compressed\n"
                             "[zram2]\n"
                             "fs-type = ext4\n"
                             "[zram3]\n"
                             "fs-type = swap\n"
                             "[ zram4 ]\n"
                             "[zram]\n"
                             "[zramx]\n"
                             "[swap]\n"
                             "zram-size = 0\n" } },
          "dev-zram0.swap dev-zram3.swap dev-zram4.swap dev-zram10.swap",
          ZRAM_MAIN_ETC ":3 [zram0]; " ZRAM_MAIN_ETC ":9 [zram3]; " ZRAM_MAIN_ETC ":11 [zram4]; " ZRAM_MAIN_ETC ":2 [zram10]" },
        { "sizes: 0 in any form turns a device off; an expression of the RAM does not",
          { { ZRAM_MAIN_ETC, "[zram0]\nzram-size = 0.0\n"
                             "[zram1]\nzram-fraction = 0\n"
                             "[zram2]\nmax-zram-size = 0\n"
                             "[zram3]\nzram-size = 0\nzram-fraction = 0.25\n"
                             "[zram4]\nzram-size = ram / 8\n"
                             "[zram5]\nzram-size = 0\nzram-size = 512\n" } },
          "dev-zram3.swap dev-zram4.swap dev-zram5.swap",
          ZRAM_MAIN_ETC ":7 [zram3]; " ZRAM_MAIN_ETC ":10 [zram4]; " ZRAM_MAIN_ETC ":12 [zram5]" },
        { "comments, CRLF, a BOM, key: value",
          { { ZRAM_MAIN_ETC, "\xef\xbb\xbf# comment\r\n; comment\r\n[zram0]\r\nmount-point: /tmp\r\n[zram1]\r\nswap-priority = 5\r\n" } },
          "dev-zram1.swap", ZRAM_MAIN_ETC ":5 [zram1]" },
        { "an unclosed section header", { { ZRAM_MAIN_ETC, "[zram0]\n[zram1\n" } }, NULL,
          ZRAM_MAIN_ETC ":2: invalid section header \"[zram1\"" },
        { "a line without =", { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" }, { ZRAM_DROPINS_ETC "/50-x.conf", "[zram0]\nzram-size\n" } },
          NULL, ZRAM_DROPINS_ETC "/50-x.conf:2: \"zram-size\" is neither a section header nor KEY=VALUE" },
        { "an empty key", { { ZRAM_MAIN_ETC, "= 1\n" } }, NULL, ZRAM_MAIN_ETC ":1: no key before \"1\"" },
        { "an empty zram-size=", { { ZRAM_MAIN_ETC, "[zram0]\nzram-size =\n" } }, NULL,
          ZRAM_MAIN_ETC ":2: zram0: empty zram-size=" },
        { "a relative mount-point=", { { ZRAM_MAIN_ETC, "[zram0]\nmount-point = var/tmp\n" } }, NULL,
          ZRAM_MAIN_ETC ":2: mount-point=var/tmp is not an absolute path" },
        { "a main file that is a directory", { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" }, { ZRAM_MAIN_ETC } }, NULL,
          ZRAM_MAIN_ETC ": is a directory, not a zram-generator configuration" },
};

/* The node's zram-generator: a stand-in file (the judge is the real one, run from outside). */
static void install_generator(const char *root) {
        _cleanup_free_ char *p = xasprintf("%s/usr/lib/systemd/system-generators/zram-generator", root);
        make_parents(p);
        static const char standin[] = "#!/bin/sh\n# stand-in: the package's generator is installed\n";
        write_file(p, standin, sizeof standin - 1);
        if (chmod(p, 0755) < 0)
                abort();
}

/* A configuration a removed package left behind: no generator, so no swap at boot. */
static void test_zram_without_generator(void) {
        static const TreeEntry node[] = { { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" } };
        _cleanup_free_ char *root = xasprintf("%s/zram-no-generator", tmp);
        _cleanup_free_ char *units = NULL, *where = NULL, *error = NULL;
        if (mkdir(root, 0755) < 0)
                abort();
        make_tree(root, node, ELEMENTSOF(node));
        is_int(remedy_zram(root, &units, &where, &error), 0, "zram, no generator installed: read");
        is_str(units, "", "zram, no generator installed: Fedora's file sets nothing up");
        install_generator(root);
        free(units);
        free(where);
        units = where = NULL;
        is_int(remedy_zram(root, &units, &where, &error), 0, "zram, generator installed: read");
        is_str(units, "dev-zram0.swap", "zram, generator installed: zram0");
}

static void test_zram_config(const char *generator) {
        for (size_t i = 0; i < ELEMENTSOF(zram_cases); i++) {
                const ZramCase *t = &zram_cases[i];
                _cleanup_free_ char *root = xasprintf("%s/zram%zu", tmp, i);
                _cleanup_free_ char *units = NULL, *where = NULL, *error = NULL, *theirs = NULL;
                if (mkdir(root, 0755) < 0)
                        abort();
                make_tree(root, t->files, ELEMENTSOF(t->files));
                install_generator(root);
                int r = remedy_zram(root, &units, &where, &error);
                int g = generator_zram(generator, root, &theirs);
                if (!t->units) {
                        ok(r == -EINVAL && error && streq(error, t->where), "zram, %s: refused: %s (got %d \"%s\")", t->name,
                           t->where, r, error ? error : "");
                        ok(g > 0, "zram, %s: zram-generator fails on it too (exit %d)", t->name, g);
                        continue;
                }
                if (r < 0) {
                        ok(false, "zram, %s: read (%s)", t->name, error);
                        continue;
                }
                is_str(units, t->units, "zram, %s: %s", t->name, *t->units ? t->units : "no swap");
                is_str(where, t->where, "zram, %s: the section headers", t->name);
                _cleanup_free_ char *ours = sorted_words(units);
                ok(g == 0, "zram, %s: zram-generator ran", t->name);
                is_str(ours, theirs ? theirs : "", "zram, %s: the swap units zram-generator writes", t->name);
        }
}

/* What the swap check reports: the fstab's entry and Fedora's zram0, not the masked zram1. */
static void test_swap_state_zram(void) {
        static const TreeEntry node[] = {
                { "/etc/fstab", "UUID=0a3407de-014b-458b-b5c1-848e92a327a3 / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n" },
                { ZRAM_MAIN_USR, "@fedora-zram-generator.conf" },
                { ZRAM_DROPINS_ETC "/20-second.conf", "[zram1]\nzram-size = ram / 4\n" },
                { "/etc/systemd/system/dev-zram1.swap", NULL, "/dev/null" },
        };
        _cleanup_free_ char *root = xasprintf("%s/swap-state", tmp);
        _cleanup_(root_freep) Root *r = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_(swap_state_done) SwapState s = {};
        _cleanup_strv_free_ char **lines = NULL;
        if (mkdir(root, 0755) < 0)
                abort();
        make_tree(root, node, ELEMENTSOF(node));
        install_generator(root);
        if (root_open(root, &r) < 0 || context_new(r, true, &c) < 0)
                abort();
        is_int(swap_state_read(c, "/etc/fstab", &s), 0, "swap state with zram: read");
        is_int((int) s.n_zram, 2, "both zram devices are found, the masked one too");
        is_int(swap_state_describe(&s, &lines), 0, "described");
        _cleanup_free_ char *text = join_words(lines, "\n");
        is_str(text,
               "swap on at boot: /etc/fstab:2: /swap.img (swap.img.swap)\n"
               "swap on at boot: /usr/lib/systemd/zram-generator.conf:7: [zram0] (dev-zram0.swap)",
               "the fstab's entry and zram0 are on at boot; zram1's unit is masked");
}

int main(void) {
        test_proc_swaps();
        if (access(FSTAB_GENERATOR, X_OK) != 0 || !program_exists("findmnt") || !program_exists("unshare") || geteuid() != 0) {
                ok(false, "systemd-fstab-generator, findmnt and unshare (as root) are the judges of these tests");
                return tap_done();
        }
        tmp = make_temp_dir("fstab");
        const char *zram_judge = zram_generator();
        ok(zram_judge != NULL, "zram-generator (Debian 12's systemd-zram-generator) is the judge of the zram tests");
        if (zram_judge)
                test_zram_config(zram_judge);
        test_zram_without_generator();
        test_swap_state_zram();
        check_fixture("debian-installer.fstab", 1);
        check_fixture("ubuntu-cloud.fstab", 1);
        check_fixture("mixed.fstab", 5);
        check_fixture("no-swap.fstab", 0);
        test_details();
        rm_rf(tmp);
        free(tmp);
        return tap_done();
}
