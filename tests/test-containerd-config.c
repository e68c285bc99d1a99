/* SPDX-License-Identifier: MIT */
/*
 * containerd-config: each scenario is a directory of fixture files (tests/fixtures/containerd-config/)
 * whose imports name "@DIR@", the directory of the main file. It is installed twice: in a node tree
 * (@DIR@ = /etc/containerd, read through a Root) with expectations written by hand from
 * containerd's source, and at a host path, where the installed containerd 1.6 is the judge:
 * `containerd --config FILE config dump` merges the same files, and its output parsed with
 * containerd_config_from_dump() must agree with containerd_config_load().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "remedy/containerd-config.h"
#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/macro.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

#define CONTAINERD "/usr/bin/containerd"

static char *tmpdir;
static char *default_config; /* `containerd config default` of the installed containerd */

/* s with every "from" replaced by "to"; from must occur at least once. */
static char *replace_all(const char *s, const char *from, const char *to) {
        if (!strstr(s, from)) {
                fprintf(stderr, "replace_all: \"%s\" does not occur\n", from);
                abort();
        }
        size_t lf = strlen(from), lt = strlen(to), n = 0;
        for (const char *p = s; (p = strstr(p, from)); p += lf)
                n++;
        char *out = malloc(strlen(s) + n * lt + 1), *o = out;
        if (!out)
                abort();
        for (const char *p = s, *q; ; p = q + lf) {
                q = strstr(p, from);
                size_t k = q ? (size_t) (q - p) : strlen(p);
                memcpy(o, p, k);
                o += k;
                if (!q)
                        break;
                memcpy(o, to, lt);
                o += lt;
        }
        *o = 0;
        return out;
}

static void mkdir_p(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        for (char *s = p + 1;; s++)
                if (*s == '/' || *s == 0) {
                        char c = *s;
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                abort();
                        *s = c;
                        if (!c)
                                break;
                }
}

/* Writes text to dir/name with @DIR@ replaced by dir_value. */
static void put(const char *dir, const char *name, const char *text, const char *dir_value) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_free_ char *parent = strdup(path);
        *strrchr(parent, '/') = 0;
        mkdir_p(parent);
        _cleanup_free_ char *data = strstr(text, "@DIR@") ? replace_all(text, "@DIR@", dir_value) : strdup(text);
        write_file(path, data, strlen(data));
}

typedef struct Scenario {
        const char *name;
        const char *files[6];     /* fixture files of the scenario, relative to its directory */
        const char *main_from;    /* NULL: the fixture config.toml; else a variant of the default */
} Scenario;

/* Installs the scenario in dir (a host directory) with @DIR@ = dir_value. */
static void install(const Scenario *s, const char *dir, const char *dir_value) {
        for (size_t i = 0; i < ELEMENTSOF(s->files) && s->files[i]; i++) {
                _cleanup_free_ char *f = xasprintf("containerd-config/%s/%s", s->name, s->files[i]);
                _cleanup_free_ char *text = read_fixture(f, NULL);
                put(dir, s->files[i], text, dir_value);
        }
        if (!s->main_from)
                return;
        _cleanup_free_ char *main = NULL;
        if (streq(s->main_from, "default"))
                main = strdup(default_config);
        else {
                /* what a playbook does to the default, and the drop-in directory a vendor adds */
                main = replace_all(default_config, "SystemdCgroup = false", "SystemdCgroup = true");
                if (streq(s->main_from, "default-systemd-imports")) {
                        char *m = replace_all(main, "imports = []", "imports = [\"@DIR@/conf.d/*.toml\"]");
                        free(main);
                        main = m;
                }
        }
        put(dir, "config.toml", main, dir_value);
}

typedef struct Expect {
        int version;
        const char *conf_dir, *bin_dirs; /* bin_dirs joined with ':' */
        const char *runtime;
        int systemd;
        const char *systemd_file, *conf_file; /* relative to the config directory, or NULL */
        const char *files;                    /* space-separated, relative */
} Expect;

static char *strv_join_sep(char **l, const char *sep) {
        size_t n = 1;
        STRV_FOREACH(s, l)
                n += strlen(*s) + strlen(sep);
        char *out = calloc(1, n);
        if (!out)
                abort();
        STRV_FOREACH(s, l) {
                if (s != l)
                        strcat(out, sep);
                strcat(out, *s);
        }
        return out;
}

static char *relative(const char *path, const char *dir) {
        const char *p = path ? startswith(path, dir) : NULL;
        return path ? strdup(p && *p == '/' ? p + 1 : path) : NULL;
}

static void check(const char *label, const ContainerdConfig *c, const Expect *e, const char *dir) {
        is_int(c->version, e->version, "%s: version", label);
        is_str(c->cni_conf_dir, e->conf_dir, "%s: conf_dir", label);
        _cleanup_free_ char *bins = strv_join_sep(c->cni_bin_dirs, ":");
        is_str(bins, e->bin_dirs, "%s: bin dirs", label);
        is_str(c->default_runtime, e->runtime, "%s: default runtime", label);
        is_int(c->systemd_cgroup, e->systemd, "%s: SystemdCgroup", label);
        _cleanup_free_ char *sf = relative(c->systemd_cgroup_file, dir), *cf = relative(c->cni_conf_dir_file, dir);
        is_str(sf, e->systemd_file, "%s: the file that decides SystemdCgroup", label);
        is_str(cf, e->conf_file, "%s: the file that decides conf_dir", label);
        char **rel = NULL;
        STRV_FOREACH(f, c->files)
                strv_consume(&rel, relative(*f, dir));
        _cleanup_free_ char *files = strv_join_sep(rel, " ");
        strv_free(rel);
        is_str(files, e->files, "%s: files in merge order", label);
}

/* In a node tree: @DIR@ is /etc/containerd, read through a Root. */
static int load_in_node(const Scenario *s, ContainerdRules rules, ContainerdConfig *c, char **error) {
        static unsigned n;
        _cleanup_free_ char *rootdir = xasprintf("%s/node-%u", tmpdir, n++);
        _cleanup_free_ char *etc = xasprintf("%s/etc/containerd", rootdir);
        mkdir_p(etc);
        install(s, etc, "/etc/containerd");
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *ctx = NULL;
        if (root_open(rootdir, &root) < 0 || context_new(root, true, &ctx) < 0)
                abort();
        const NodeFS fs = ctx_node_fs(ctx);
        return containerd_config_load(&fs, "/etc/containerd/config.toml", rules, c, error);
}

/* At a host path, containerd's own view next to ours. */
static void oracle(const Scenario *s, const Expect *e) {
        static unsigned n;
        _cleanup_free_ char *dir = xasprintf("%s/host-%u/etc/containerd", tmpdir, n++);
        _cleanup_free_ char *main = xasprintf("%s/config.toml", dir);
        mkdir_p(dir);
        install(s, dir, dir);

        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *ctx = NULL;
        if (root_open("/", &root) < 0 || context_new(root, true, &ctx) < 0)
                abort();
        const NodeFS fs = ctx_node_fs(ctx);
        ContainerdConfig ours = {}, theirs = {};
        _cleanup_free_ char *error = NULL, *dump = NULL, *dump_error = NULL;
        int r = containerd_config_load(&fs, main, CONTAINERD_RULES_AUTO, &ours, &error);
        is_int(r, 0, "%s (host path): loads%s%s", s->name, error ? ": " : "", strempty(error));
        check(s->name, &ours, e, dir);

        char *argv[] = { (char *) CONTAINERD, (char *) "--config", main, (char *) "config", (char *) "dump", NULL };
        is_int(run_capture(argv, &dump, NULL), 0, "%s: containerd config dump succeeds", s->name);
        r = containerd_config_from_dump(dump, strlen(dump), &theirs, &dump_error);
        is_int(r, 0, "%s: the dump parses%s%s", s->name, dump_error ? ": " : "", strempty(dump_error));
        is_str(ours.cni_conf_dir, theirs.cni_conf_dir, "%s: conf_dir agrees with containerd", s->name);
        _cleanup_free_ char *a = strv_join_sep(ours.cni_bin_dirs, ":"), *b = strv_join_sep(theirs.cni_bin_dirs, ":");
        is_str(a, b, "%s: bin_dir agrees with containerd", s->name);
        is_int(ours.systemd_cgroup, theirs.systemd_cgroup, "%s: SystemdCgroup agrees with containerd", s->name);
        is_str(ours.default_runtime, theirs.default_runtime, "%s: default runtime agrees with containerd", s->name);
        ok(!theirs.systemd_cgroup_file && !theirs.cni_conf_dir_file && !theirs.files, "%s: a dump names no file",
           s->name);

        /* the live helper runs the same command */
        ContainerdConfig live = {};
        r = containerd_config_dump(CONTAINERD, main, &live, NULL);
        is_int(r, 0, "%s: containerd_config_dump() succeeds", s->name);
        is_int(live.systemd_cgroup, ours.systemd_cgroup, "%s: containerd_config_dump() agrees", s->name);
        is_str(live.cni_conf_dir, ours.cni_conf_dir, "%s: containerd_config_dump() conf_dir agrees", s->name);
        containerd_config_done(&live);
        containerd_config_done(&ours);
        containerd_config_done(&theirs);
}

static void node(const Scenario *s, ContainerdRules rules, const Expect *e) {
        ContainerdConfig c = {};
        _cleanup_free_ char *error = NULL, *label = xasprintf("%s (node, rules %d)", s->name, (int) rules);
        int r = load_in_node(s, rules, &c, &error);
        is_int(r, 0, "%s: loads%s%s", label, error ? ": " : "", strempty(error));
        check(label, &c, e, "/etc/containerd");
        containerd_config_done(&c);
}

/* Refused by us, and by containerd too when it is a 1.x case. */
static void refused(const Scenario *s, ContainerdRules rules, int want, const char *prefix, const char *part,
                    bool containerd_too) {
        ContainerdConfig c = {};
        _cleanup_free_ char *error = NULL;
        int r = load_in_node(s, rules, &c, &error);
        is_int(r, want, "%s: refused", s->name);
        ok(error && startswith(error, prefix), "%s: the error starts with \"%s\"", s->name, prefix);
        ok(error && strstr(error, part), "%s: the error says \"%s\"", s->name, part);
        diag("%s", strempty(error));
        ok(!c.cni_conf_dir && !c.files, "%s: nothing returned on failure", s->name);
        if (!containerd_too)
                return;
        _cleanup_free_ char *dir = xasprintf("%s/refused-%s/etc/containerd", tmpdir, s->name);
        _cleanup_free_ char *main = xasprintf("%s/config.toml", dir);
        mkdir_p(dir);
        install(s, dir, dir);
        char *argv[] = { (char *) CONTAINERD, (char *) "--config", main, (char *) "config", (char *) "dump", NULL };
        _cleanup_free_ char *out = NULL, *err = NULL;
        ok(run_capture(argv, &out, &err) != 0, "%s: containerd refuses it too", s->name);
}

static const Scenario plain_default = { "default", {}, "default" };
static const Scenario default_systemd = { "default-systemd", {}, "default-systemd" };
static const Scenario cni_dropin = { "cni-dropin", { "conf.d/10-cni.toml" }, "default-systemd-imports" };
static const Scenario order = { "order",
        { "config.toml", "conf.d/10-a.toml", "conf.d/20-b.toml", "extra.toml", "nested.toml" }, NULL };
static const Scenario v1 = { "v1", { "config.toml" }, NULL };
static const Scenario debian = { "debian", { "config.toml" }, NULL };
static const Scenario bad = { "bad", { "config.toml", "conf.d/50-bad.toml" }, NULL };
static const Scenario missing_import = { "missing-import", { "config.toml" }, NULL };
static const Scenario missing_main = { "missing-main", {}, NULL };
static const Scenario v3 = { "v3", { "config.toml", "conf.d/10-systemd.toml", "conf.d/20-cni-v2.toml" }, NULL };
static const Scenario v3_conflict = { "v3-conflict", { "config.toml" }, NULL };
static const Scenario v3_higher = { "v3-higher", { "config.toml", "conf.d/10-v3.toml" }, NULL };
static const Scenario v3_type = { "v3-type", { "config.toml", "conf.d/10-string.toml" }, NULL };

static void test_containerd_1(void) {
        Expect e = { 2, "/etc/cni/net.d", "/opt/cni/bin", "runc", 0, "config.toml", "config.toml", "config.toml" };
        node(&plain_default, CONTAINERD_RULES_AUTO, &e);
        oracle(&plain_default, &e);

        e.systemd = 1;
        node(&default_systemd, CONTAINERD_RULES_AUTO, &e);
        oracle(&default_systemd, &e);

        /* 1.x: the drop-in's CRI table replaces the main file's whole, SystemdCgroup included */
        e = (Expect) { 2, "/etc/cni/vendor.d", "/opt/cni/bin", "runc", 0, NULL, "conf.d/10-cni.toml",
                       "config.toml conf.d/10-cni.toml" };
        node(&cni_dropin, CONTAINERD_RULES_AUTO, &e);
        oracle(&cni_dropin, &e);

        e = (Expect) { 2, "/etc/cni/net.d", "/usr/lib/cni", "runc", 1, "nested.toml", NULL,
                       "config.toml conf.d/10-a.toml conf.d/20-b.toml extra.toml nested.toml" };
        node(&order, CONTAINERD_RULES_AUTO, &e);
        oracle(&order, &e);

        e = (Expect) { 1, "/etc/cni/v1.d", "/opt/cni/bin", "crun", 1, "config.toml", "config.toml", "config.toml" };
        node(&v1, CONTAINERD_RULES_AUTO, &e);
        oracle(&v1, &e);

        e = (Expect) { 2, "/etc/cni/net.d", "/usr/lib/cni", "runc", 0, NULL, "config.toml", "config.toml" };
        node(&debian, CONTAINERD_RULES_AUTO, &e);
        oracle(&debian, &e);

        /* a version 3 drop-in under 1.x: the merged version is 3, the CRI table still the v2 one */
        e = (Expect) { 3, "/etc/cni/net.d", "/opt/cni/bin", "runc", 1, "config.toml", NULL,
                       "config.toml conf.d/10-v3.toml" };
        node(&v3_higher, CONTAINERD_RULES_AUTO, &e);
        oracle(&v3_higher, &e);

        e = (Expect) { 1, "/etc/cni/net.d", "/opt/cni/bin", "runc", 0, NULL, NULL, "" };
        node(&missing_main, CONTAINERD_RULES_AUTO, &e);
}

static void test_containerd_2(void) {
        Expect e = { 3, "/etc/cni/v2.d", "/usr/lib/cni", "runc", 1, "conf.d/10-systemd.toml", "conf.d/20-cni-v2.toml",
                     "config.toml conf.d/10-systemd.toml conf.d/20-cni-v2.toml" };
        node(&v3, CONTAINERD_RULES_AUTO, &e);

        /* the same files read by containerd 1.x: only the version 2 drop-in has a CRI table it reads */
        e = (Expect) { 2, "/etc/cni/v2.d", "/usr/lib/cni", "runc", 0, NULL, "conf.d/20-cni-v2.toml",
                       "config.toml conf.d/10-systemd.toml conf.d/20-cni-v2.toml" };
        node(&v3, CONTAINERD_RULES_1, &e);

        /* 2.x merges key by key: the drop-in changes conf_dir and leaves SystemdCgroup alone */
        e = (Expect) { 2, "/etc/cni/vendor.d", "/opt/cni/bin", "runc", 1, "config.toml", "conf.d/10-cni.toml",
                       "config.toml conf.d/10-cni.toml" };
        node(&cni_dropin, CONTAINERD_RULES_2, &e);

        e = (Expect) { 2, "/etc/cni/b.d", "/usr/lib/cni", "runc", 1, "nested.toml", "conf.d/20-b.toml",
                       "config.toml conf.d/10-a.toml conf.d/20-b.toml extra.toml nested.toml" };
        node(&order, CONTAINERD_RULES_2, &e);

        e = (Expect) { 3, "/etc/cni/net.d", "/opt/cni/bin", "runc", 0, NULL, NULL, "" };
        node(&missing_main, CONTAINERD_RULES_2, &e);

        refused(&v3_conflict, CONTAINERD_RULES_AUTO, -EINVAL, "/etc/containerd/config.toml:5:", "cni.bin_dir", false);
        refused(&v3_higher, CONTAINERD_RULES_2, -EINVAL, "/etc/containerd/conf.d/10-v3.toml:1:", "higher than root", false);
        /* a merged value keeps the file and line it came from */
        refused(&v3_type, CONTAINERD_RULES_AUTO, -EINVAL, "/etc/containerd/conf.d/10-string.toml:4:", "expected a boolean",
                false);
}

static void test_errors(void) {
        refused(&bad, CONTAINERD_RULES_AUTO, -EINVAL, "/etc/containerd/conf.d/50-bad.toml:3:", "", true);
        refused(&missing_import, CONTAINERD_RULES_AUTO, -ENOENT, "/etc/containerd/config.toml:3:12: ",
                "/etc/containerd/runtime-nvidia.toml", true);

        ContainerdConfig c = {};
        _cleanup_free_ char *error = NULL;
        is_int(containerd_config_from_dump("version = 2\n[plugins\n", 20, &c, &error), -EINVAL, "a broken dump is refused");
        ok(error && startswith(error, "dump:2:"), "its error names the dump and the line");
        ok(containerd_config_dump(CONTAINERD, "/nonexistent/config.toml", &c, NULL) == -EIO,
           "containerd_config_dump() reports containerd's failure");
}

static void test_dump_v3(void) {
        _cleanup_free_ char *text = read_fixture("containerd-config/v3/config.toml", NULL);
        ContainerdConfig c = {};
        is_int(containerd_config_from_dump(text, strlen(text), &c, NULL), 0, "a 2.x dump parses");
        Expect e = { 3, "/etc/cni/net.d", "/opt/cni/bin", "runc", 0, NULL, NULL, "" };
        check("2.x dump", &c, &e, "/");
        is_int(c.rules, 2, "a version 3 dump is read as containerd 2.x");
        containerd_config_done(&c);
}

int main(void) {
        tmpdir = make_temp_dir("containerd-config");
        char *argv[] = { (char *) CONTAINERD, (char *) "config", (char *) "default", NULL };
        ok(run_capture(argv, &default_config, NULL) == 0 && strstr(default_config, "SystemdCgroup = false"),
           "containerd config default works");

        test_containerd_1();
        test_containerd_2();
        test_errors();
        test_dump_v3();

        free(default_config);
        rm_rf(tmpdir);
        free(tmpdir);
        return tap_done();
}
