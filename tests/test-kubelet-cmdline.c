/* SPDX-License-Identifier: MIT */
/*
 * unit-exec.c, unit-exec-env.c, kubelet-cmdline.c and kubelet-config-dir.c on node trees built in temp
 * directories from tests/fixtures/kubelet-cmdline/ (kubeadm's kubelet.service and 10-kubeadm.conf
 * as the packages install them). Where systemd can judge, it does: `systemd-analyze --root=DIR
 * verify kubelet.service` (systemd 252) names the executable of the ExecStart= it settled on, so
 * the drop-in order and the effective ExecStart= are checked against systemd itself, and it
 * refuses the same units. (systemctl 252 refuses `cat` with --root, so verify is the judge.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/fileio.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/kubelet-flags.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

extern const char kubelet_flags_data[];
extern const size_t kubelet_flags_data_size;

/* ---- a node tree in a temp dir, read through a real Context ---- */

typedef struct Node {
        char *dir;
        Root *root;
        Context *ctx;
        NodeFS fs;
} Node;

static void mkdir_p(const char *path) {
        char *p = strdup(path);
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        (void) mkdir(p, 0755);
                        *s = '/';
                }
        (void) mkdir(p, 0755);
        free(p);
}

static Node *node_new(void) {
        Node *n = calloc(1, sizeof(Node));
        n->dir = make_temp_dir("kubelet-cmdline");
        if (root_open(n->dir, &n->root) < 0 || context_new(n->root, true, &n->ctx) < 0)
                abort();
        n->fs = ctx_node_fs(n->ctx);
        return n;
}

static void node_free(Node *n) {
        context_free(n->ctx);
        root_free(n->root);
        rm_rf(n->dir);
        free(n->dir);
        free(n);
}

/* A fresh Context sees the tree as it is now (a Context keeps what it read). */
static void node_reload(Node *n) {
        context_free(n->ctx);
        if (context_new(n->root, true, &n->ctx) < 0)
                abort();
        n->fs = ctx_node_fs(n->ctx);
}

static void node_put(Node *n, const char *path, const char *data) {
        char *host = xasprintf("%s%s", n->dir, path);
        char *slash = strrchr(host, '/');
        *slash = 0;
        mkdir_p(host);
        *slash = '/';
        write_file(host, data, strlen(data));
        free(host);
        node_reload(n);
}

static void node_put_fixture(Node *n, const char *path, const char *fixture) {
        char *name = xasprintf("kubelet-cmdline/%s", fixture);
        char *data = read_fixture(name, NULL);
        node_put(n, path, data);
        free(data);
        free(name);
}

static void node_symlink(Node *n, const char *path, const char *target) {
        char *host = xasprintf("%s%s", n->dir, path);
        char *slash = strrchr(host, '/');
        *slash = 0;
        mkdir_p(host);
        *slash = '/';
        if (symlink(target, host) < 0)
                abort();
        free(host);
        node_reload(n);
}

#define USR_UNIT "/usr/lib/systemd/system/kubelet.service"
#define USR_KUBEADM "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
#define ETC_DROPINS "/etc/systemd/system/kubelet.service.d"

/* kubeadm's layout as the pkgs.k8s.io packages install it, with kubeadm's flags file. */
static Node *kubeadm_node(void) {
        Node *n = node_new();
        node_put_fixture(n, USR_UNIT, "kubelet.service");
        node_put_fixture(n, USR_KUBEADM, "10-kubeadm.conf");
        node_put_fixture(n, "/var/lib/kubelet/kubeadm-flags.env", "kubeadm-flags.env");
        return n;
}

/* What systemd-analyze verify says about kubelet.service in the tree. */
static char *systemd_verify(const Node *n) {
        char *root_arg = xasprintf("--root=%s", n->dir), *out = NULL, *err = NULL;
        char *argv[] = { (char *) "systemd-analyze", root_arg, (char *) "verify", (char *) "kubelet.service", NULL };
        (void) run_capture(argv, &out, &err);
        char *all = xasprintf("%s%s", out ? out : "", err ? err : "");
        free(out);
        free(err);
        free(root_arg);
        return all;
}

/* systemd's executable for the effective ExecStart=, from "Command X is not executable". */
static char *systemd_executable(const Node *n) {
        char *all = systemd_verify(n), *exe = NULL;
        const char *p = strstr(all, "Command /");
        if (p) {
                p += strlen("Command ");
                exe = strndup(p, strcspn(p, " "));
        }
        free(all);
        return exe;
}

static KubeletFlagSet *flag_set(const char *minor) {
        KubeletFlagSet *s = NULL;
        if (kubelet_flag_set_from_data(kubelet_flags_data, kubelet_flags_data_size, minor, &s, NULL) < 0)
                abort();
        return s;
}

static void is_strv(char **got, const char * const *want, const char *what) {
        size_t n = 0;
        bool same = true;
        for (; want[n]; n++)
                if (!got || !got[n] || !streq(got[n], want[n]))
                        same = false;
        same = same && strv_length(got) == n;
        if (!ok(same, "%s", what)) {
                STRV_FOREACH(g, got)
                        diag("got:  %s", *g);
                for (size_t i = 0; want[i]; i++)
                        diag("want: %s", want[i]);
        }
}

static const KubeletArg *arg_at(const KubeletCommandLine *c, size_t i) {
        static const KubeletArg none = { .accepted = -2 };
        return i < c->n_args ? &c->args[i] : &none;
}

static const char *env_source(const KubeletCommandLine *c, const char *name) {
        for (size_t i = 0; i < c->unit.n_env; i++)
                if (streq(c->unit.env[i].name, name))
                        return c->unit.env[i].source;
        return NULL;
}

/* ---- kubeadm's unit as installed ---- */

static void test_kubeadm(void) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *k31 = flag_set("1.31"), *k35 = flag_set("1.35");
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {}, c35 = {};
        _cleanup_free_ char *error = NULL;
        Node *n = kubeadm_node();
        node_put_fixture(n, "/etc/default/kubelet", "default-kubelet");

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet", k31, &c, &error), 0, "kubeadm unit resolves");
        if (error)
                diag("%s", error);
        is_strv(c.unit.unit_files, (const char *[]) { USR_UNIT, USR_KUBEADM, NULL }, "fragment, then 10-kubeadm.conf");
        is_str(c.unit.exec_source, USR_KUBEADM ":11", "ExecStart= of 10-kubeadm.conf line 11 (after the reset on 10)");
        is_str(c.unit.executable, "/usr/bin/kubelet", "executable");
        is_strv(c.unit.argv,
                (const char *[]) {
                        "/usr/bin/kubelet",
                        "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
                        "--kubeconfig=/etc/kubernetes/kubelet.conf",
                        "--config=/var/lib/kubelet/config.yaml",
                        "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock",
                        "--pod-infra-container-image=registry.k8s.io/pause:3.10",
                        "--node-ip", "192.168.56.11",
                        "--fail-swap-on", "false",
                        "--cgroup-driver=systemd",
                        "--log_dir=/var/log/kubelet",
                        "--node-labels=zone=a b",   /* $VAR splitting removes the quotes */
                        NULL,
                },
                "argv: every $VAR split at whitespace, in order");
        is_int(c.n_args, 11, "11 arguments after argv[0]");

        is_str(arg_at(&c, 0)->flag, "bootstrap-kubeconfig", "first flag");
        is_str(arg_at(&c, 0)->source, USR_KUBEADM ":3", "from Environment= on line 3");
        is_str(arg_at(&c, 0)->variable, "KUBELET_KUBECONFIG_ARGS", "by $KUBELET_KUBECONFIG_ARGS");
        is_str(arg_at(&c, 2)->value, "/var/lib/kubelet/config.yaml", "--config value");
        is_str(arg_at(&c, 3)->source, "/var/lib/kubelet/kubeadm-flags.env:1", "kubeadm's flags from kubeadm-flags.env:1");
        is_str(arg_at(&c, 3)->variable, "KUBELET_KUBEADM_ARGS", "... by $KUBELET_KUBEADM_ARGS");
        is_int(arg_at(&c, 4)->accepted, 1, "--pod-infra-container-image: 1.31 accepts it");
        is_str(arg_at(&c, 5)->flag, "node-ip", "--node-ip");
        is_str(arg_at(&c, 5)->value, "192.168.56.11", "--node-ip takes the next word");
        is_int(arg_at(&c, 5)->n_words, 2, "two words");
        is_str(arg_at(&c, 5)->source, "/etc/default/kubelet:6", "the last KUBELET_EXTRA_ARGS= (line 6) won");
        is_str(arg_at(&c, 6)->flag, "fail-swap-on", "--fail-swap-on");
        ok(arg_at(&c, 6)->value == NULL && arg_at(&c, 6)->accepted == 1, "a boolean flag takes no separate value");
        ok(arg_at(&c, 7)->flag == NULL && streq(arg_at(&c, 7)->word, "false") && arg_at(&c, 7)->accepted == 0,
           "\"false\" after it is a stray argument the kubelet refuses");
        is_str(arg_at(&c, 9)->flag, "log-dir", "--log_dir read as log-dir");
        is_int(arg_at(&c, 9)->accepted, 0, "--log-dir: gone since 1.26");
        is_str(arg_at(&c, 10)->value, "zone=a b", "quoted value kept whole");
        is_str(c.config_path, "/var/lib/kubelet/config.yaml", "config path");
        is_str(c.kubeconfig_path, "/etc/kubernetes/kubelet.conf", "kubeconfig path");
        ok(c.config_dir == NULL && !c.config_dir_alpha_env, "no --config-dir");
        is_str(env_source(&c, "OTHER_VAR"), "/etc/default/kubelet:8", "unused variables are listed with their line");
        ok(!c.unit.env_files_missing && !c.unit.unset_variables, "nothing missing, nothing unset");

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", k35, &c35, NULL), 0, "resolves for 1.35");
        is_int(arg_at(&c35, 4)->accepted, 0, "--pod-infra-container-image: 1.35 refuses it");

        /* The project's other reader of these files agrees on kubeadm's flags. */
        _cleanup_free_ char *flags_env = read_fixture("kubelet-cmdline/kubeadm-flags.env", NULL);
        KubeletFlag *f = NULL;
        size_t nf = 0;
        is_int(kubelet_flags_parse(flags_env, strlen(flags_env), "KUBELET_KUBEADM_ARGS", k31, &f, &nf, NULL), 0,
               "kubelet_flags_parse");
        ok(nf == 2 && streq(f[0].name, arg_at(&c, 3)->flag) && streq(f[0].value, arg_at(&c, 3)->value) &&
                   streq(f[1].name, arg_at(&c, 4)->flag) && streq(f[1].value, arg_at(&c, 4)->value),
           "kubelet_flags_parse() reads kubeadm-flags.env the same");
        kubelet_flags_free(f, nf);

        _cleanup_free_ char *exe = systemd_executable(n);
        is_str(exe, "/usr/bin/kubelet", "systemd-analyze verify settles on the same ExecStart=");
        node_free(n);
}

static void test_missing_optional_env_file(void) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {};
        Node *n = kubeadm_node();   /* no /etc/default/kubelet */

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, NULL), 0, "resolves without /etc/default/kubelet");
        is_strv(c.unit.env_files_missing, (const char *[]) { "/etc/default/kubelet", NULL }, "the optional file is reported missing");
        is_strv(c.unit.unset_variables, (const char *[]) { "KUBELET_EXTRA_ARGS", NULL }, "$KUBELET_EXTRA_ARGS is unset");
        is_int(strv_length(c.unit.argv), 6, "an unset $VAR word disappears");
        is_int(arg_at(&c, 0)->accepted, -1, "accepted is -1 without a flag set");
        node_free(n);
}

/* systemd refuses an environment file that is not valid UTF-8: an optional one ("-" prefix) is
 * skipped, a required one fails the service's start. */
static void test_refused_env_file(void) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {}, c2 = {};
        _cleanup_free_ char *error = NULL;
        Node *n = kubeadm_node();
        node_put(n, "/etc/default/kubelet", "KUBELET_EXTRA_ARGS=--v=2 --node-labels=\xff\n");

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, NULL), 0,
               "an optional EnvironmentFile= systemd refuses does not stop the resolve");
        is_strv(c.unit.unset_variables, (const char *[]) { "KUBELET_EXTRA_ARGS", NULL },
                "nothing of it reaches the environment: $KUBELET_EXTRA_ARGS is unset");

        node_put(n, "/etc/systemd/system/kubelet.service.d/20-required.conf",
                 "[Service]\nEnvironmentFile=/etc/default/kubelet\n");
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c2, &error), -EBADMSG,
               "a required one makes the service fail: -EBADMSG");
        ok(error && strstr(error, "/etc/systemd/system/kubelet.service.d/20-required.conf:2") &&
                   strstr(error, "/etc/default/kubelet:1:"),
           "the error names the EnvironmentFile= line and the file's line");
        if (error)
                diag("%s", error);
        node_free(n);
}

/* ---- an operator's override in /etc ---- */

static void test_override(void) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *k31 = flag_set("1.31");
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {};
        _cleanup_free_ char *error = NULL;
        Node *n = kubeadm_node();
        node_put_fixture(n, ETC_DROPINS "/20-override.conf", "20-override.conf");

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", k31, &c, &error), 0, "override resolves");
        if (error)
                diag("%s", error);
        is_strv(c.unit.unit_files, (const char *[]) { USR_UNIT, USR_KUBEADM, ETC_DROPINS "/20-override.conf", NULL },
                "drop-ins by name across directories");
        is_str(c.unit.exec_source, ETC_DROPINS "/20-override.conf:6", "the ExecStart= after the reset, where it starts");
        is_strv(c.unit.argv,
                (const char *[]) {
                        "/usr/local/bin/kubelet",
                        "--node-labels=role=worker tier=2",   /* ${VAR} inline: one word */
                        "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock",
                        "--pod-infra-container-image=registry.k8s.io/pause:3.10",
                        "--cgroup-driver=cgroupfs",
                        "x",
                        "-v", "2",
                        "--config-dir=/etc/kubernetes/kubelet.conf.d",
                        "--price=$5",
                        "kubelet.service",
                        NULL,
                },
                "quotes, continuations, ${VAR}, $$ and %n");
        is_strv(c.unit.unset_variables, (const char *[]) { "ALSO_NOT_SET", "NOT_SET", NULL }, "unset variables, sorted");
        is_str(arg_at(&c, 0)->source, ETC_DROPINS "/20-override.conf:3", "${LABELS} from Environment= line 3");
        is_str(arg_at(&c, 0)->variable, "LABELS", "... the variable");
        is_str(arg_at(&c, 3)->variable, "DRIVER", "--cgroup-driver=${DRIVER}");
        is_str(arg_at(&c, 4)->source, ETC_DROPINS "/20-override.conf:6", "a literal word: the ExecStart= line");
        is_int(arg_at(&c, 4)->accepted, 0, "stray \"x\" refused");
        ok(streq_ptr(arg_at(&c, 5)->flag, "v") && streq_ptr(arg_at(&c, 5)->value, "2") && arg_at(&c, 5)->accepted == 1,
           "-v 2: shorthand with its value");
        is_int(arg_at(&c, 7)->accepted, 0, "--price is no kubelet flag");
        is_str(c.config_dir, "/etc/kubernetes/kubelet.conf.d", "--config-dir");
        ok(c.config_dir_alpha_env, "KUBELET_CONFIG_DROPIN_DIR_ALPHA is set");
        ok(c.config_path == NULL, "no --config: KUBELET_CONFIG_ARGS is not used any more");
        ok(env_source(&c, "BAD-NAME") == NULL, "an invalid assignment is ignored");

        _cleanup_free_ char *verify = systemd_verify(n);
        ok(strstr(verify, "Command /usr/local/bin/kubelet is not executable") != NULL, "systemd runs the same executable");
        ok(strstr(verify, "20-override.conf:4: Invalid environment assignment, ignoring: BAD-NAME=x") != NULL,
           "systemd ignores BAD-NAME= too");
        node_free(n);
}

static void test_second_execstart(void) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {};
        _cleanup_free_ char *error = NULL, *verify = NULL;
        Node *n = kubeadm_node();
        node_put_fixture(n, ETC_DROPINS "/20-no-reset.conf", "20-no-reset.conf");

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, &error), -ENOEXEC,
               "two ExecStart= in a simple service: refused");
        ok(error && strstr(error, ETC_DROPINS "/20-no-reset.conf:3: Service has more than one ExecStart=") &&
                   strstr(error, USR_KUBEADM ":11"),
           "the error names both lines: %s", strempty(error));
        verify = systemd_verify(n);
        ok(strstr(verify, "more than one ExecStart= setting") != NULL, "systemd refuses it too");
        node_free(n);
}

/* Drop-in directories of every kind; each file replaces ExecStart=, so the one systemd ends with
 * tells the order. */
static void put_exec(Node *n, const char *path, const char *exe) {
        char *data = xasprintf("[Service]\nExecStart=\nExecStart=/usr/bin/%s --v=1\n", exe);
        node_put(n, path, data);
        free(data);
}

static void test_dropin_order(void) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {}, c2 = {};
        _cleanup_free_ char *exe = NULL, *exe2 = NULL;
        Node *n = node_new();
        node_put(n, USR_UNIT, "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/usr/bin/kubelet\n");
        put_exec(n, "/usr/lib/systemd/system/kubelet.service.d/50-a.conf", "kubelet-usr-a");
        put_exec(n, ETC_DROPINS "/50-a.conf", "kubelet-etc-a");     /* masks the one in /usr/lib */
        put_exec(n, "/run/systemd/system/kubelet.service.d/30-b.conf", "kubelet-run-b");
        put_exec(n, "/usr/lib/systemd/system/kubelet.service.d/70-c.conf", "kubelet-usr-c");
        put_exec(n, "/etc/systemd/system/service.d/90-all.conf", "kubelet-all");   /* every service */
        node_put(n, ETC_DROPINS "/README", "not a .conf file\n");
        node_put(n, ETC_DROPINS "/.hidden.conf", "[Service]\nExecStart=\n");

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, NULL), 0, "resolves");
        is_strv(c.unit.unit_files,
                (const char *[]) { USR_UNIT, "/run/systemd/system/kubelet.service.d/30-b.conf", ETC_DROPINS "/50-a.conf",
                                   "/usr/lib/systemd/system/kubelet.service.d/70-c.conf",
                                   "/etc/systemd/system/service.d/90-all.conf", NULL },
                "by file name; /etc masks /usr/lib; service.d counts; README and hidden files do not");
        exe = systemd_executable(n);
        is_str(c.unit.executable, "/usr/bin/kubelet-all", "the type-level drop-in comes last");
        is_str(exe, c.unit.executable, "systemd agrees");

        put_exec(n, ETC_DROPINS "/90-all.conf", "kubelet-specific");   /* same name as the service.d one */
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c2, NULL), 0, "resolves");
        is_str(c2.unit.executable, "/usr/bin/kubelet-specific", "kubelet.service.d/ beats service.d/ for the same name");
        exe2 = systemd_executable(n);
        is_str(exe2, c2.unit.executable, "systemd agrees");
        node_free(n);
}

/* ---- systemd's syntax ---- */

static void test_syntax(void) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {}, c2 = {}, c3 = {};
        _cleanup_free_ char *error = NULL, *error2 = NULL;
        Node *n = node_new();
        node_put(n, USR_UNIT,
                 "[Service]\n"
                 "Environment=GONE=1\n"
                 "Environment=\n"
                 "Environment=X=from-unit \"Q=a \\\"b\\\"\"\n"
                 "EnvironmentFile=/etc/gone.env\n"
                 "EnvironmentFile=\n"
                 "EnvironmentFile=/etc/kubelet.env\n"
                 "EnvironmentFile=-/etc/kubelet.d/*.env\n"
                 "ExecStart=/usr/bin/kubelet \\x41\\u00e9 \\q \\; $GONE $X \"$Q\" ${Y}${Z}\n");
        node_put(n, "/etc/kubelet.env",
                 "X=from-file\n"
                 "# a comment\n"
                 "Y='single $quoted'\n"
                 "Z=\"a\\\"b\\\\c\\d\" tail  \n");
        node_put(n, "/etc/kubelet.d/10-a.env", "Z=from-10\n");
        node_put(n, "/etc/kubelet.d/20-b.env", "export W=1\nZ=from-20\n");

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, &error), 0, "resolves");
        if (error)
                diag("%s", error);
        is_strv(c.unit.argv,
                (const char *[]) { "/usr/bin/kubelet", "A\xc3\xa9", "\\q", ";", "from-file", "a", "b", /* $Q split */
                                   "single $quotedfrom-20", NULL },
                "C escapes, an unknown escape kept, \\; literal, an emptied Environment=, files over Environment=, "
                "globbed files in order");
        is_str(env_source(&c, "X"), "/etc/kubelet.env:1", "X from the file although Environment= comes later");
        is_str(env_source(&c, "Z"), "/etc/kubelet.d/20-b.env:2", "the last file wins");
        ok(env_source(&c, "GONE") == NULL, "Environment= emptied the list");
        ok(env_source(&c, "W") == NULL && env_source(&c, "export W") == NULL, "\"export W=1\" is no assignment");

        /* A required environment file that is missing stops the start. */
        node_put(n, USR_UNIT, "[Service]\nEnvironmentFile=/etc/kubelet.missing\nExecStart=/usr/bin/kubelet $A\n");
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c2, &error2), -ENOENT, "missing EnvironmentFile=");
        ok(error2 && strstr(error2, USR_UNIT ":2: EnvironmentFile=/etc/kubelet.missing does not exist"), "%s",
           strempty(error2));

        /* Prefixes: - ignore failure, @ separate argv[0], : no expansion. */
        node_put(n, USR_UNIT, "[Service]\nEnvironment=A=1\nExecStart=-@:/usr/bin/kubelet kubelet-0 $A ${A}\n");
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c3, NULL), 0, "prefixed ExecStart=");
        is_str(c3.unit.executable, "/usr/bin/kubelet", "prefixes stripped");
        is_strv(c3.unit.argv, (const char *[]) { "kubelet-0", "$A", "${A}", NULL }, "@ sets argv[0], : keeps $A as written");
        ok(c3.unit.no_env_expand, "no_env_expand");
        node_free(n);
}

static void test_unit_refused(void) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {};
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        Node *n = node_new();

        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, &e1), -ENOENT, "no unit");
        node_put(n, USR_UNIT, "[Service]\nExecStart=/usr/bin/kubelet ; /bin/true\n");
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, &e2), -ENOEXEC, "two commands on one line");
        node_put(n, USR_UNIT, "[Service]\nExecStart=/usr/bin/kubelet \"--open\n");
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, &e3), -ENOEXEC, "unbalanced quote");
        ok(e3 && strstr(e3, USR_UNIT ":2: Unbalanced quoting"), "%s", strempty(e3));
        node_symlink(n, "/etc/systemd/system/kubelet.service", "/dev/null");
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", NULL, &c, &e4), -ERFKILL, "masked");
        node_free(n);
}

/* ---- the kubelet's config merge ---- */

static Node *config_node(void) {
        Node *n = node_new();
        node_put_fixture(n, "/var/lib/kubelet/config.yaml", "config.yaml");
        node_put_fixture(n, "/etc/kubernetes/kubelet.conf.d/10-cgroupfs.conf", "10-cgroupfs.conf");
        node_put_fixture(n, "/etc/kubernetes/kubelet.conf.d/sub/20-swap.conf", "20-swap.conf");
        node_put(n, "/etc/kubernetes/kubelet.conf.d/README.md", "not read: no .conf suffix\n");
        return n;
}

#define CONFIG "/var/lib/kubelet/config.yaml"
#define CONF_D "/etc/kubernetes/kubelet.conf.d"

static void check_setting(Node *n, const char *key, bool set, const char *value, const char *source,
                          const char *overridden) {
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_free_ char *error = NULL;
        int r = kubelet_config_effective_value(&n->fs, CONFIG, CONF_D, key, &s, &error);
        if (!is_int(r, 0, "%s: merged", key))
                diag("%s", strempty(error));
        ok(s.set == set, "%s: %s", key, set ? "set" : "not set");
        is_str(s.value, value, "%s: value", key);
        is_str(s.source, source, "%s: set in", key);
        is_str(s.overridden ? s.overridden[0] : NULL, overridden, "%s: overrides", key);
}

static void test_config_dir(void) {
        Node *n = config_node();
        check_setting(n, "cgroupDriver", true, "cgroupfs", CONF_D "/10-cgroupfs.conf:3", CONFIG ":12");
        check_setting(n, "failSwapOn", true, "false", CONF_D "/sub/20-swap.conf:3", CONFIG ":16");
        check_setting(n, "staticPodPath", false, NULL, CONF_D "/sub/20-swap.conf:5", CONFIG ":18");
        check_setting(n, "authentication.x509.clientCAFile", true, "/etc/kubernetes/pki/ca.crt", CONFIG ":9", NULL);
        check_setting(n, "authentication.webhook.enabled", true, "false", CONF_D "/10-cgroupfs.conf:6", CONFIG ":7");
        check_setting(n, "clusterDNS", true, NULL, CONF_D "/10-cgroupfs.conf:7", CONFIG ":13");
        check_setting(n, "clusterDomain", true, "cluster.local", CONFIG ":15", NULL);
        check_setting(n, "maxPods", false, NULL, NULL, NULL);

        /* Flags beat both files. */
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *k31 = flag_set("1.31");
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine c = {};
        _cleanup_(kubelet_setting_done) KubeletSetting swap = {}, driver = {};
        node_put(n, USR_UNIT,
                 "[Service]\nExecStart=/usr/bin/kubelet --config=" CONFIG " --config-dir=" CONF_D " --fail-swap-on\n");
        is_int(kubelet_cmdline_resolve(&n->fs, "kubelet.service", k31, &c, NULL), 0, "resolves");
        is_int(kubelet_cmdline_setting(&c, &n->fs, "failSwapOn", &swap, NULL), 0, "failSwapOn with the flags");
        ok(swap.set && streq_ptr(swap.value, "true") && streq_ptr(swap.flag, "fail-swap-on"), "--fail-swap-on wins: true");
        is_str(swap.source, USR_UNIT ":2", "the flag's line");
        is_strv(swap.overridden, (const char *[]) { CONFIG ":16", CONF_D "/sub/20-swap.conf:3", NULL },
                "over the config file and the drop-in");
        is_int(kubelet_cmdline_setting(&c, &n->fs, "cgroupDriver", &driver, NULL), 0, "cgroupDriver with the flags");
        ok(driver.flag == NULL && streq_ptr(driver.value, "cgroupfs"), "no flag: the drop-in's value");
        is_str(kubelet_flag_config_key("cgroup-driver"), "cgroupDriver", "flag -> key");

        /* What stops the kubelet stops the merge. */
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        is_int(kubelet_config_effective_value(&n->fs, CONFIG, "/etc/kubernetes/nowhere", "cgroupDriver", &s, &e1), -ENOENT,
               "missing --config-dir");
        is_int(kubelet_config_effective_value(&n->fs, "/var/lib/kubelet/none.yaml", NULL, "cgroupDriver", &s, &e2), -ENOENT,
               "missing --config");
        node_put_fixture(n, CONF_D "/30-nokind.conf", "30-nokind.conf");
        is_int(kubelet_config_effective_value(&n->fs, CONFIG, CONF_D, "cgroupDriver", &s, &e3), -EBADMSG,
               "a drop-in without kind");
        ok(e3 && strstr(e3, "30-nokind.conf: a drop-in needs apiVersion and kind"), "%s", strempty(e3));
        node_free(n);
}

int main(void) {
        test_kubeadm();
        test_missing_optional_env_file();
        test_refused_env_file();
        test_override();
        test_second_execstart();
        test_dropin_order();
        test_syntax();
        test_unit_refused();
        test_config_dir();
        return tap_done();
}
