/* SPDX-License-Identifier: MIT */
/*
 * Drop-in directories against the judges: which files the manager reads for a unit, and in what
 * order (unit-exec.c, judged by `systemd-analyze verify`), and which [Install] sections
 * systemctl reads from them (unit-file.c, judged by `systemctl --root`). Each case builds a node
 * root from tests/fixtures/unit-dropins/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/strv.h"
#include "remedy/unit-exec.h"
#include "remedy/unit-file.h"
#include "tap.h"
#include "test-util.h"
#include "unit-test-fs.h"

/* ---- drop-in directories: the manager's rules and systemctl's ---- */

/* A node root holding tests/fixtures/unit-dropins/{etc,run,lib} in the three search directories. */
static char *make_dropin_root(bool merged_usr) {
        char *root = make_temp_dir(merged_usr ? "dropins-merged" : "dropins-split");
        const char *f = getenv("FIXTURES");
        char *fixtures = xasprintf("%s/unit-dropins", f && *f ? f : "tests/fixtures");
        static const char * const parts[][2] = {
                { "etc", "etc" }, { "run", "run" }, { "lib", "lib" },
        };
        if (merged_usr) {
                char *usr_lib = xasprintf("%s/usr/lib", root), *lib = xasprintf("%s/lib", root);
                run_ok((char *[]) { "mkdir", "-p", usr_lib, NULL });
                if (symlink("usr/lib", lib) < 0)
                        abort();
                free(usr_lib);
                free(lib);
        }
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                char *dst = xasprintf("%s/%s/systemd/system", root, parts[i][1]);
                char *src = xasprintf("%s/%s/.", fixtures, parts[i][0]);
                run_ok((char *[]) { "mkdir", "-p", dst, NULL });
                run_ok((char *[]) { "cp", "-a", src, dst, NULL });
                free(dst);
                free(src);
        }
        free(fixtures);
        return root;
}

/*
 * The judge for the manager's rules: `systemd-analyze verify` loads the unit as the manager does
 * (nothing is started) and warns about the unknown RemedyProbe= key once per file it parses, in
 * the order it parses them.
 */
static char *manager_judge(const char *root, const char *unit) {
        char *opt = xasprintf("--root=%s", root), *out = NULL, *err = NULL, *list = NULL;
        size_t size = 0;
        (void) run_capture((char *[]) { (char *) "systemd-analyze", opt, (char *) "--man=no", (char *) "--generators=no",
                                        (char *) "verify", (char *) unit, NULL },
                           &out, &err);
        FILE *f = open_memstream(&list, &size);
        for (char *save = NULL, *l = strtok_r(err, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                const char *path = startswith(l, root);
                if (!path || !strstr(l, "Unknown key 'RemedyProbe'"))
                        continue;
                fprintf(f, "%.*s\n", (int) strcspn(path, ":"), path);
        }
        fclose(f);
        free(opt);
        free(out);
        free(err);
        return list;
}

/* What unit_exec_resolve() lists, one per line; entries that are not regular files
 * (which systemd tries and skips without a word) are left out when only_regular. */
static char *manager_ours(const char *root, const char *unit, bool only_regular, UnitExec *c) {
        char *error = NULL, *list = NULL;
        size_t size = 0;
        DISK_FS(fs, root);

        int r = unit_exec_resolve(&fs, unit, c, &error);
        ok(r == 0, "%s: unit-exec resolves it (%s)", unit, error ?: "no error");
        FILE *f = open_memstream(&list, &size);
        STRV_FOREACH(p, c->unit_files) {
                char *host = xasprintf("%s%s", root, *p);
                struct stat st;
                if (!only_regular || (stat(host, &st) == 0 && S_ISREG(st.st_mode)))
                        fprintf(f, "%s\n", *p);
                free(host);
        }
        fclose(f);
        disk_fs_done(fs.userdata);
        free(error);
        return list;
}

static const char *env_value(const UnitExec *c, const char *name) {
        const UnitEnvVar *v = unit_exec_env_get(c, name);
        return v ? v->value : NULL;
}

static void test_dropins_manager(bool merged_usr) {
        char *root = make_dropin_root(merged_usr), *want, *got;
        const char *lib = merged_usr ? "/usr/lib" : "/lib";
        UnitExec c = {};
        diag("drop-ins as the manager reads them, %s /usr", merged_usr ? "merged" : "split");

        /* By file name across /etc, /run and /lib; /etc/.../10-defaults.conf masks /lib's; the
         * dash-prefix /etc/.../kube-.service.d/50-site.conf masks /lib/.../kube-node-agent.service.d's
         * (all of /etc before /lib); /lib/.../70-limits.conf masks /etc/systemd/system/service.d's
         * (the type-level directory comes last); no hidden file, no README. */
        got = manager_ours(root, "kube-node-agent.service", false, &c);
        want = xasprintf("/lib/systemd/system/kube-node-agent.service\n"
                         "/etc/systemd/system/kube-node-agent.service.d/10-defaults.conf\n"
                         "/run/systemd/system/kube-node-.service.d/30-runtime.conf\n"
                         "/etc/systemd/system/kube-.service.d/50-site.conf\n"
                         "%s/systemd/system/kube-node-agent.service.d/70-limits.conf\n"
                         "/etc/systemd/system/service.d/90-accounting.conf\n", lib);
        is_str(got, want, "kube-node-agent.service: fragment, then the drop-ins in systemd's order");
        free(want);
        want = manager_judge(root, "kube-node-agent.service");
        is_str(got, want, "kube-node-agent.service: the files systemd-analyze verify parses, in its order");
        free(got);
        free(want);
        is_str(c.argv && c.argv[0] ? c.argv[1] : NULL, "--v=4", "AGENT_ARGS from /etc's 10-defaults.conf");
        /* Each word says where it came from: the variable's assignment, or the ExecStart= line. */
        is_int(c.n_words, 2, "two words, as in argv");
        is_str(c.n_words == 2 ? c.words[1].source : NULL, "/etc/systemd/system/kube-node-agent.service.d/10-defaults.conf:5",
               "--v=4 comes from /etc's 10-defaults.conf line 5");
        is_str(c.n_words == 2 ? c.words[1].variable : NULL, "AGENT_ARGS", "by $AGENT_ARGS");
        is_str(c.n_words == 2 ? c.words[0].source : NULL, "/lib/systemd/system/kube-node-agent.service:7",
               "the executable from the fragment's ExecStart=");
        ok(c.n_words == 2 && !c.words[0].variable, "which is a literal word");
        is_str(env_value(&c, "HTTPS_PROXY"), "http://proxy.example.internal:3128", "HTTPS_PROXY from the dash-prefix drop-in");
        unit_exec_done(&c);

        /* An instance: the template's directories and the template's dash prefix (a plain
         * "kube-.service"); /etc/.../kube-proxy@.service.d/20-mode.conf masks the /lib instance one. */
        got = manager_ours(root, "kube-proxy@ipvs.service", false, &c);
        want = xasprintf("/lib/systemd/system/kube-proxy@.service\n"
                         "/etc/systemd/system/kube-proxy@.service.d/20-mode.conf\n"
                         "/etc/systemd/system/kube-.service.d/50-site.conf\n"
                         "/etc/systemd/system/service.d/70-limits.conf\n"
                         "/etc/systemd/system/service.d/90-accounting.conf\n");
        is_str(got, want, "kube-proxy@ipvs.service: fragment, then the drop-ins in systemd's order");
        free(want);
        want = manager_judge(root, "kube-proxy@ipvs.service");
        is_str(got, want, "kube-proxy@ipvs.service: the files systemd-analyze verify parses, in its order");
        free(got);
        free(want);
        is_str(env_value(&c, "MODE_FROM"), "etc-template", "MODE_FROM from /etc's template drop-in");
        unit_exec_done(&c);

        /* A directory named 40-dir.conf in /etc is listed and masks /lib's 40-dir.conf file;
         * systemd fails to parse it and goes on. */
        char *dir = xasprintf("%s/etc/systemd/system/kube-node-agent.service.d/40-dir.conf", root);
        char *masked = xasprintf("%s/lib/systemd/system/kube-node-agent.service.d/40-dir.conf", root);
        const char *masked_data = "[Unit]\nRemedyProbe=masked-by-a-directory\n[Service]\nEnvironment=AGENT_ARGS=--v=9\n";
        run_ok((char *[]) { "mkdir", "-p", dir, NULL });
        write_file(masked, masked_data, strlen(masked_data));
        got = manager_ours(root, "kube-node-agent.service", true, &c);
        want = manager_judge(root, "kube-node-agent.service");
        is_str(got, want, "a directory drop-in masks /lib's file, as in systemd-analyze verify");
        ok(strv_contains(c.unit_files, "/etc/systemd/system/kube-node-agent.service.d/40-dir.conf"),
           "the directory is listed (it takes the name)");
        is_str(c.argv && c.argv[0] ? c.argv[1] : NULL, "--v=4", "and /lib's 40-dir.conf sets nothing");
        unit_exec_done(&c);
        free(got);
        free(want);
        free(dir);
        free(masked);
        rm_rf(root);
        free(root);
}

static void test_dropins_install(void) {
        char *root = make_dropin_root(false), *error = NULL;
        UnitFileState state;
        int status;
        diag("drop-ins as systemctl enable reads them");

        /* systemctl reads [Install] from NAME.d/ and TEMPLATE.d/ only: not from kube-.service.d/
         * nor service.d/, so a unit whose own files have no [Install] is static. */
        check_state(root, "kube-node-cleanup.service", "static");
        check_state(root, "kube-node-agent.service", "disabled");
        /* multi-user.target from the fragment, kubernetes.target from /lib's 50-site.conf (not
         * masked here: systemctl does not read the /etc dash-prefix one); /lib's 10-defaults.conf
         * is masked by /etc's. */
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "kube-node-agent.service"), 2,
               "kube-node-agent: multi-user and kubernetes wants links only");
        check_state(root, "kube-node-agent.service", "enabled");
        /* Every NAME.d/ before any TEMPLATE.d/: /lib's instance 20-mode.conf masks /etc's template one. */
        is_int(compare_with_systemctl(root, "enable", unit_plan_enable, "kube-proxy@ipvs.service"), 2,
               "kube-proxy@ipvs: multi-user and lib-instance wants links only");
        check_state(root, "kube-proxy@ipvs.service", "enabled");

        /* A directory drop-in: systemctl fails ("Is a directory"), and so do we. */
        char *dir = xasprintf("%s/etc/systemd/system/kube-node-agent.service.d/40-dir.conf", root);
        run_ok((char *[]) { "mkdir", "-p", dir, NULL });
        free(systemctl(root, "is-enabled", "kube-node-agent.service", &status));
        ok(status != 0, "systemctl is-enabled fails on a directory drop-in");
        DISK_FS(fs, root);
        int r = unit_file_get_state(&fs, "kube-node-agent.service", &state, &error);
        is_int(r, -EISDIR, "so does unit_file_get_state()");
        is_str(error, "Drop-in /etc/systemd/system/kube-node-agent.service.d/40-dir.conf is a directory", "naming it");
        disk_fs_done(fs.userdata);
        free(error);
        error = NULL;

        /* A dangling link: systemctl fails with "No such file or directory". */
        rm_rf(dir);
        if (symlink("/etc/kube-node-agent/removed.conf", dir) < 0)
                abort();
        free(systemctl(root, "is-enabled", "kube-node-agent.service", &status));
        ok(status != 0, "systemctl is-enabled fails on a dangling drop-in link");
        DISK_FS(fs2, root);
        r = unit_file_get_state(&fs2, "kube-node-agent.service", &state, &error);
        is_int(r, -ENOENT, "so does unit_file_get_state()");
        disk_fs_done(fs2.userdata);
        free(error);
        free(dir);
        rm_rf(root);
        free(root);
}

int main(void) {
        if (!program_exists("systemctl")) {
                ok(false, "systemctl is needed: it is the judge of these tests");
                return tap_done();
        }
        test_dropins_manager(false);
        test_dropins_manager(true);
        test_dropins_install();
        return tap_done();
}
