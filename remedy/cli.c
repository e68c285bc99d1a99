/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "remedy/containerd-node.h"
#include "remedy/diagnose.h"
#include "remedy/report.h"
#include "remedy/strv.h"

int cli_load_playbooks(PlaybookSet **ret) {
        _cleanup_free_ char *error = NULL;
        /* NULL: the default directories, either of which may be missing. */
        int r = playbook_set_load(arg_playbook_dirs, ret, &error);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "%s", error ? error : strerror(-r));
        return 0;
}

int cli_open_root(Root **ret) {
        const char *path = arg_root ? arg_root : "/";
        int r = root_open(path, ret);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "--root: cannot open \"%s\": %s", path, strerror(-r));
        return 0;
}

int cli_open_node(Root **ret_root, SystemdBus **ret_bus) {
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_free_ char *error = NULL, *root_dir = NULL;
        int r;

        *ret_bus = NULL;
        if (arg_root) {
                if (arg_bus_scope != BUS_SCOPE_SYSTEM)
                        return report_error(EXIT_BAD_INPUT, "--root repairs a node whose systemd is not running: "
                                                            "it does not go with --user or --machine");
                return cli_open_root(ret_root);
        }

        r = systemd_bus_open(arg_bus_scope, arg_machine, &bus, &error);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "%s; nothing was changed. To repair a node whose systemd is not "
                                                    "running (a mounted disk, a rescue system), use --root=DIR",
                                    error ? error : strerror(-r));
        r = systemd_bus_root_directory(bus, &root_dir);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "cannot find the root directory of %s: %s",
                                    systemd_bus_describe(bus), strerror(-r));
        r = root_open(root_dir, &root);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "cannot open %s (the root of %s): %s", root_dir,
                                    systemd_bus_describe(bus), strerror(-r));
        *ret_root = TAKE_PTR(root);
        *ret_bus = TAKE_PTR(bus);
        return 0;
}

int cli_check_names(char * const *names) {
        if (!names || !names[0])
                return report_error(EXIT_BAD_INPUT, "name at least one playbook (see remedy list)");
        return 0;
}

char *cli_backup_dir(const Root *root) {
        if (arg_backup_dir)
                return strdup(arg_backup_dir);
        return path_join(root->path, REMEDY_BACKUP_DIR);
}

/* Directories services read configuration from: a backup (and the private keys in it) beside
 * the files it saved could be read as configuration or leak through a package's conf.d. */
static bool backup_dir_is_config_dir(const Root *root, const char *dir) {
        static const char * const config_dirs[] = { "/etc", "/run", "/usr", "/lib", "/boot", NULL };
        const char *in_root = dir;

        if (!root_is_host(root)) {
                in_root = startswith(dir, root->path);
                if (!in_root || (*in_root != '/' && *in_root != 0))
                        return false;   /* outside the node: not read by its services */
        }
        for (const char * const *c = config_dirs; *c; c++) {
                const char *rest = startswith(in_root, *c);
                if (rest && (*rest == '/' || *rest == 0))
                        return true;
        }
        return false;
}

int cli_open_store(const Root *root, bool create, BackupStore **ret) {
        _cleanup_free_ char *dir = cli_backup_dir(root);
        if (!dir)
                return report_error(EXIT_FAILED, "out of memory");
        if (backup_dir_is_config_dir(root, dir))
                return report_error(EXIT_BAD_INPUT,
                                    "--backup-dir: %s is where services read configuration; backups hold private keys "
                                    "and must live elsewhere (default: ROOT%s)",
                                    dir, REMEDY_BACKUP_DIR);
        int r = backup_store_open(dir, create, ret);
        if (r == -ENOENT)
                return report_error(EXIT_BAD_INPUT, "no backups at %s (nothing has been applied here)", dir);
        if (r < 0)
                /* A store that is not safe to use is refused; an I/O error is a failure. */
                return report_error(r == -EPERM || r == -ELOOP || r == -ENOTDIR ? EXIT_BAD_INPUT : EXIT_FAILED,
                                    "cannot open the backup store %s: %s", dir, strerror(-r));
        return 0;
}

/* The KEY of a --set KEY=VALUE. */
static char *set_key(const char *assignment) {
        return strndup(assignment, strcspn(assignment, "="));
}

char **cli_sets_for(const Playbook *p) {
        char **l = NULL;
        STRV_FOREACH(s, arg_sets) {
                _cleanup_free_ char *key = set_key(*s);
                if (!key)
                        return strv_free(l);
                if (playbook_find_param(p, key) && strv_extend(&l, *s) < 0)
                        return strv_free(l);
        }
        if (!l)
                l = calloc(1, sizeof(char *));
        return l;
}

int cli_build_run(char * const *names, const PlaybookSet *set, Root *root, SystemdBus *bus, Run **ret) {
        _cleanup_(run_freep) Run *run = NULL;
        int r;

        if ((r = cli_check_names(names)) != 0)
                return r;
        if ((r = run_new(root, arg_root != NULL, &run)) < 0)
                return report_error(EXIT_FAILED, "out of memory");
        run->bus = bus;
        run->job_timeout_usec = arg_job_timeout_usec;

        /* Every --set must mean something to one of the named playbooks: a typo in a key must not
         * silently leave a default in place. */
        STRV_FOREACH(s, arg_sets) {
                _cleanup_free_ char *key = set_key(*s);
                bool found = false;
                if (!key)
                        return report_error(EXIT_FAILED, "out of memory");
                STRV_FOREACH(n, names) {
                        const Playbook *p = playbook_set_find(set, *n);
                        if (p && playbook_find_param(p, key))
                                found = true;
                }
                if (!found)
                        return report_error(EXIT_BAD_INPUT, "--set %s: no playbook named here has a parameter \"%s\"",
                                            *s, key);
        }

        _cleanup_(node_fact_source_done) NodeFactSource facts = { .root = root, .offline = arg_root != NULL };
        STRV_FOREACH(n, names) {
                _cleanup_strv_free_ char **sets = NULL;
                _cleanup_free_ char *error = NULL;
                ParamValues *values = NULL;

                for (char * const *m = names; m < n; m++)
                        if (streq(*m, *n))
                                return report_error(EXIT_BAD_INPUT, "playbook \"%s\" named twice", *n);
                Playbook *p = playbook_set_find(set, *n);
                if (!p) {
                        const PlaybookError *e = playbook_set_find_error(set, *n);
                        if (e)
                                return report_error(EXIT_BAD_INPUT, "%s", e->error);
                        return report_error(EXIT_BAD_INPUT, "no playbook \"%s\" (see remedy list)", *n);
                }
                if (!(sets = cli_sets_for(p)))
                        return report_error(EXIT_FAILED, "out of memory");
                if ((r = param_values_new(p, sets, &values, &error)) < 0)
                        return report_error(EXIT_BAD_INPUT, "%s", error ? error : strerror(-r));
                if ((r = param_values_fill_facts(p, values, node_fact_param, &facts, &error)) < 0) {
                        param_values_free(values);
                        return report_error(EXIT_BAD_INPUT, "%s", error ? error : strerror(-r));
                }
                if ((r = run_add_job(run, p, values)) < 0)
                        return report_error(EXIT_FAILED, "out of memory");
        }
        *ret = TAKE_PTR(run);
        return 0;
}

int cli_run_error(const Run *run, int error, const char *command) {
        int status = error == -EINVAL || error == -EBUSY ? EXIT_BAD_INPUT : EXIT_FAILED;
        if (run->error)
                return report_error(status, "%s", run->error);
        return report_error(status, "%s failed: %s", command, strerror(-error));
}

int cli_diagnose(PlaybookSet **ret_set, Root **ret_root, SystemdBus **ret_bus, Diagnosis *ret) {
        _cleanup_free_ char *error = NULL;
        int r;

        if ((r = cli_load_playbooks(ret_set)) != 0 || (r = cli_open_node(ret_root, ret_bus)) != 0)
                return r;
        r = diagnose_node(*ret_set, *ret_root, arg_root != NULL, *ret_bus, ret, &error);
        if (r < 0)
                /* -EINVAL: a node file a match reads does not parse. */
                return report_error(r == -EINVAL ? EXIT_BAD_INPUT : EXIT_FAILED, "diagnose: %s",
                                    error ? error : strerror(-r));
        return 0;
}
