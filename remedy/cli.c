/* SPDX-License-Identifier: MIT */
/*
 * The command line: the options, parsed into arg_* globals, and what they name opened for the
 * verbs (the playbook directories, the root or the live node, the backup store, the --set values).
 */
#include "cli.h"
#include "verbs/metrics-textfile.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "remedy/containerd-node.h"
#include "remedy/diagnose.h"
#include "remedy/join-check.h"
#include "remedy/log.h"
#include "remedy/report.h"
#include "remedy/strv.h"

char *arg_root;
char **arg_playbook_dirs;
char *arg_backup_dir;
char **arg_sets;
bool arg_exit_code;
bool arg_dry_run;
bool arg_last;
bool arg_cascade;
bool arg_force;
bool arg_yes;
bool arg_unattended;
bool arg_reset;
/* Less than remedy-fix.timer's period (15 min): each timer run may try again, the cooldown only
 * stops a run started by hand right after the timer's, or a timer made more frequent. */
uint64_t arg_cooldown_usec = 10 * 60 * USEC_PER_SEC;
unsigned arg_max_attempts = 3;
bool arg_no_rollback;
unsigned arg_keep;
bool arg_keep_set;
BusScope arg_bus_scope = BUS_SCOPE_SYSTEM;
char *arg_machine;
char *arg_baseline;
char *arg_api_server;
char *arg_metrics_textfile;
uint64_t arg_job_timeout_usec = 120 * USEC_PER_SEC;

static void help(void) {
        printf("remedy %s — repairs Kubernetes node boot failures, with dry-run diffs, backups and rollback\n\n"
               "Usage: remedy [OPTIONS] COMMAND ...\n\n"
               "Commands:\n"
               "  diagnose                              which known failures the node has, the evidence,\n"
               "                                        and the playbook that fixes each (exit 1: found)\n"
               "  fix [--yes] [--dry-run] [--set KEY=VALUE]...\n"
               "                                        apply what diagnose finds, as one transaction:\n"
               "                                        safety auto playbooks; confirm ones with --yes\n"
               "                                        or when answered yes; never report ones\n"
               "  fix --unattended [--cooldown=TIME] [--max-attempts=N]\n"
               "                                        as remedy-fix.timer runs it: auto playbooks only,\n"
               "                                        each at most N times a day (default 3) and not\n"
               "                                        again within TIME (default 10min); a rolled-back\n"
               "                                        fix opens a breaker that stops all unattended fixes\n"
               "  fix --reset                           close that breaker, forget the attempts\n"
               "  list                                  playbooks found: name and summary\n"
               "  show NAME                             the validated playbook: params, steps, verify\n"
               "  plan NAME... [--set KEY=VALUE]... [--exit-code]\n"
               "                                        what apply would change, with diffs; writes nothing\n"
               "  apply NAME... [--set KEY=VALUE]... [--dry-run] [--no-rollback]\n"
               "                                        back up, change, verify; roll back on failure\n"
               "  rollback [ID | --last] [--cascade] [--force] [--dry-run]\n"
               "                                        restore the files of a transaction, then its units;\n"
               "                                        undo a rollback by rolling back its own ID\n"
               "  backups list | show ID | verify ID | prune --keep=N\n"
               "  snapshot [--json]                     the node's effective kubelet and containerd\n"
               "                                        configuration, units and versions, as YAML\n"
               "  drift --baseline=FILE [--json]        fields that differ from a kubelet-config\n"
               "                                        ConfigMap, a KubeletConfiguration or a snapshot\n"
               "                                        (exit 1: drift)\n\n"
               "Options:\n"
               "      --root=DIR         work on the node filesystem mounted at DIR (offline repair);\n"
               "                         nothing outside DIR is read or written\n"
               "      --playbooks=DIR    load playbooks from DIR (repeatable) instead of\n"
               "                         %s and %s\n"
               "      --system           live: talk to the system's systemd (default)\n"
               "      --user             live: talk to the calling user's systemd\n"
               "      --machine=NAME     live: talk to the systemd of local container NAME and\n"
               "                         work on its file system\n"
               "      --job-timeout=TIME how long a start, stop or restart may take (default 2min)\n"
               "      --backup-dir=DIR   backup store (default: ROOT%s)\n"
               "      --set KEY=VALUE    set a playbook parameter (repeatable)\n"
               "      --exit-code        plan: exit 1 when changes are pending\n"
               "      --dry-run          apply, rollback: show what would be done, change nothing\n"
               "      --no-rollback      apply: keep the changes when verification fails\n"
               "      --last             rollback: the newest transaction still applied\n"
               "      --cascade          rollback: first roll back the later transactions that\n"
               "                         changed the same files, newest first\n"
               "      --force            rollback: even over changes made since by hand\n"
               "  -y, --yes              fix: also apply the playbooks of safety confirm, unasked\n"
               "      --unattended       fix: auto playbooks only, within the limits below\n"
               "      --cooldown=TIME    fix --unattended: not again within TIME (default 10min)\n"
               "      --max-attempts=N   fix --unattended: at most N attempts a day (default 3)\n"
               "      --reset            fix: close the unattended breaker, forget the attempts\n"
               "      --keep=N           backups prune: how many transactions to keep\n"
               "      --baseline=FILE    drift: what the node is compared with\n"
               "      --api-server=HOST:PORT\n"
               "                         diagnose, fix: the API server to check the way to, as\n"
               "                         kubeadm join's argument (before join, or instead of the\n"
               "                         kubeconfig's server)\n"
               "      --json             print the report as one JSON document (--format=json)\n"
               "      --metrics-textfile=FILE\n"
               "                         diagnose, fix, apply, rollback: write Prometheus metrics of\n"
               "                         the run to FILE (node_exporter's textfile collector)\n"
               "      --format=FORMAT    text, json, or npd (diagnose: node-problem-detector's\n"
               "                         custom plugin protocol, one line of at most 80 bytes)\n"
               "      --no-color         no colours\n"
               "  -v, --verbose          more messages (twice: debug)\n"
               "  -q, --quiet            outcomes and errors only\n"
               "  -h, --help             this help\n"
               "      --version          the version\n\n"
               "Exit status: 0 done or nothing to do; 1 a step or verification failed (rolled back),\n"
               "or plan --exit-code with changes pending; 2 bad input or refused, nothing changed.\n",
               REMEDY_VERSION, REMEDY_PLAYBOOKS_SYSTEM_DIR, REMEDY_PLAYBOOKS_ADMIN_DIR, REMEDY_BACKUP_DIR);
}

enum {
        OPT_ROOT = 0x100,
        OPT_PLAYBOOKS,
        OPT_BACKUP_DIR,
        OPT_SET,
        OPT_EXIT_CODE,
        OPT_DRY_RUN,
        OPT_NO_ROLLBACK,
        OPT_LAST,
        OPT_CASCADE,
        OPT_FORCE,
        OPT_KEEP,
        OPT_JSON,
        OPT_FORMAT,
        OPT_METRICS_TEXTFILE,
        OPT_NO_COLOR,
        OPT_VERSION,
        OPT_SYSTEM,
        OPT_USER,
        OPT_MACHINE,
        OPT_JOB_TIMEOUT,
        OPT_BASELINE,
        OPT_API_SERVER,
        OPT_UNATTENDED,
        OPT_RESET,
        OPT_COOLDOWN,
        OPT_MAX_ATTEMPTS,
};

int cli_parse_argv(int argc, char **argv) {
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "playbooks", required_argument, NULL, OPT_PLAYBOOKS },
                { "backup-dir", required_argument, NULL, OPT_BACKUP_DIR },
                { "set", required_argument, NULL, OPT_SET },
                { "exit-code", no_argument, NULL, OPT_EXIT_CODE },
                { "dry-run", no_argument, NULL, OPT_DRY_RUN },
                { "no-rollback", no_argument, NULL, OPT_NO_ROLLBACK },
                { "last", no_argument, NULL, OPT_LAST },
                { "cascade", no_argument, NULL, OPT_CASCADE },
                { "force", no_argument, NULL, OPT_FORCE },
                { "yes", no_argument, NULL, 'y' },
                { "keep", required_argument, NULL, OPT_KEEP },
                { "json", no_argument, NULL, OPT_JSON },
                { "format", required_argument, NULL, OPT_FORMAT },
                { "metrics-textfile", required_argument, NULL, OPT_METRICS_TEXTFILE },
                { "no-color", no_argument, NULL, OPT_NO_COLOR },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "system", no_argument, NULL, OPT_SYSTEM },
                { "user", no_argument, NULL, OPT_USER },
                { "machine", required_argument, NULL, OPT_MACHINE },
                { "job-timeout", required_argument, NULL, OPT_JOB_TIMEOUT },
                { "baseline", required_argument, NULL, OPT_BASELINE },
                { "api-server", required_argument, NULL, OPT_API_SERVER },
                { "unattended", no_argument, NULL, OPT_UNATTENDED },
                { "reset", no_argument, NULL, OPT_RESET },
                { "cooldown", required_argument, NULL, OPT_COOLDOWN },
                { "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
                {},
        };
        int c, verbosity = 0;

        /* Options may come before or after the command, as with git and systemctl. */
        while ((c = getopt_long(argc, argv, "vqhy", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        free(arg_root);
                        arg_root = strdup(optarg);
                        break;
                case OPT_PLAYBOOKS:
                        if (strv_extend(&arg_playbook_dirs, optarg) < 0)
                                return log_oom();
                        break;
                case OPT_BACKUP_DIR:
                        if (optarg[0] != '/')
                                return report_error(EXIT_BAD_INPUT, "--backup-dir: \"%s\" is not an absolute path", optarg);
                        free(arg_backup_dir);
                        arg_backup_dir = strdup(optarg);
                        break;
                case OPT_SET:
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return report_error(EXIT_BAD_INPUT, "--set: \"%s\" is not KEY=VALUE", optarg);
                        if (strv_extend(&arg_sets, optarg) < 0)
                                return log_oom();
                        break;
                case OPT_EXIT_CODE:
                        arg_exit_code = true;
                        break;
                case OPT_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case OPT_NO_ROLLBACK:
                        arg_no_rollback = true;
                        break;
                case OPT_LAST:
                        arg_last = true;
                        break;
                case OPT_CASCADE:
                        arg_cascade = true;
                        break;
                case OPT_FORCE:
                        arg_force = true;
                        break;
                case 'y':
                        arg_yes = true;
                        break;
                case OPT_KEEP: {
                        char *end;
                        errno = 0;
                        unsigned long n = strtoul(optarg, &end, 10);
                        if (!*optarg || *end || errno != 0 || n > 100000 || optarg[0] == '-')
                                return report_error(EXIT_BAD_INPUT, "--keep: \"%s\" is not a number of backups", optarg);
                        arg_keep = (unsigned) n;
                        arg_keep_set = true;
                        break;
                }
                case OPT_JSON:
                        report_options.json = true;
                        break;
                case OPT_METRICS_TEXTFILE:
                        if (optarg[0] != '/')
                                return report_error(EXIT_BAD_INPUT, "--metrics-textfile: \"%s\" is not an absolute path",
                                                    optarg);
                        free(arg_metrics_textfile);
                        arg_metrics_textfile = strdup(optarg);
                        if (!arg_metrics_textfile)
                                return log_oom();
                        break;
                case OPT_FORMAT:
                        report_options.json = streq(optarg, "json");
                        report_options.npd = streq(optarg, "npd");
                        if (!streq(optarg, "text") && !report_options.json && !report_options.npd)
                                return report_error(EXIT_BAD_INPUT, "--format: \"%s\" is not text, json or npd", optarg);
                        break;
                case OPT_NO_COLOR:
                        report_options.color = false;
                        break;
                case 'v':
                        verbosity++;
                        break;
                case 'q':
                        verbosity = -1;
                        break;
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("remedy %s\n", REMEDY_VERSION);
                        return 0;
                case OPT_SYSTEM:
                        arg_bus_scope = BUS_SCOPE_SYSTEM;
                        break;
                case OPT_USER:
                        arg_bus_scope = BUS_SCOPE_USER;
                        break;
                case OPT_MACHINE:
                        if (!*optarg)
                                return report_error(EXIT_BAD_INPUT, "--machine: name a container");
                        free(arg_machine);
                        arg_machine = strdup(optarg);
                        if (!arg_machine)
                                return report_error(EXIT_FAILED, "out of memory");
                        arg_bus_scope = BUS_SCOPE_MACHINE;
                        break;
                case OPT_JOB_TIMEOUT:
                        if (duration_parse(optarg, &arg_job_timeout_usec) < 0 || arg_job_timeout_usec == 0)
                                return report_error(EXIT_BAD_INPUT,
                                                    "--job-timeout: \"%s\" is not a time span such as 90s or 5min", optarg);
                        break;
                case OPT_UNATTENDED:
                        arg_unattended = true;
                        break;
                case OPT_RESET:
                        arg_reset = true;
                        break;
                case OPT_COOLDOWN:
                        if (duration_parse(optarg, &arg_cooldown_usec) < 0 || arg_cooldown_usec == UINT64_MAX)
                                return report_error(EXIT_BAD_INPUT,
                                                    "--cooldown: \"%s\" is not a time span such as 10min or 0", optarg);
                        break;
                case OPT_MAX_ATTEMPTS: {
                        char *end;
                        errno = 0;
                        unsigned long n = strtoul(optarg, &end, 10);
                        if (!*optarg || *end || errno != 0 || n < 1 || n > 1000 || optarg[0] == '-')
                                return report_error(EXIT_BAD_INPUT, "--max-attempts: \"%s\" is not a number from 1 to 1000",
                                                    optarg);
                        arg_max_attempts = (unsigned) n;
                        break;
                }
                case OPT_BASELINE:
                        free(arg_baseline);
                        if (!(arg_baseline = strdup(optarg)))
                                return report_error(EXIT_FAILED, "out of memory");
                        break;
                case OPT_API_SERVER: {
                        _cleanup_free_ char *host = NULL, *port = NULL, *error = NULL;
                        int r = join_parse_api_server(optarg, &host, &port, &error);
                        if (r == -ENOMEM)
                                return report_error(EXIT_FAILED, "out of memory");
                        if (r < 0)
                                return report_error(EXIT_BAD_INPUT, "--api-server: %s", strempty(error));
                        free(arg_api_server);
                        if (!(arg_api_server = strdup(optarg)))
                                return report_error(EXIT_FAILED, "out of memory");
                        break;
                }
                default:
                        return EXIT_BAD_INPUT;
                }
        }

        report_options.quiet = verbosity < 0;
        report_options.verbose = verbosity > 0;
        log_set_max_level(verbosity < 0    ? LOG_LEVEL_WARNING
                          : verbosity == 0 ? LOG_LEVEL_NOTICE
                          : verbosity == 1 ? LOG_LEVEL_INFO
                                           : LOG_LEVEL_DEBUG);
        return -1; /* go on */
}

void cli_args_free(void) {
        free(arg_root);
        free(arg_machine);
        free(arg_backup_dir);
        free(arg_metrics_textfile);
        free(arg_baseline);
        free(arg_api_server);
        arg_root = arg_machine = arg_backup_dir = arg_metrics_textfile = arg_baseline = arg_api_server = NULL;
        metrics_notes_free();
        arg_playbook_dirs = strv_free(arg_playbook_dirs);
        arg_sets = strv_free(arg_sets);
}

int cli_load_playbooks(PlaybookSet **ret) {
        _cleanup_free_ char *error = NULL;
        /* NULL: the default directories, either of which may be missing. */
        int r = playbook_set_load(arg_playbook_dirs, ret, &error);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "%s", error ? error : strerror(-r));
        return 0;
}

/* The metrics file counts the transactions of the store this run uses. */
static void note_store(const Root *root) {
        if (!arg_metrics_textfile)
                return;
        _cleanup_free_ char *dir = cli_backup_dir(root);
        metrics_note_store(dir);
}

int cli_open_root(Root **ret) {
        const char *path = arg_root ? arg_root : "/";
        int r = root_open(path, ret);
        if (r < 0)
                return report_error(EXIT_BAD_INPUT, "--root: cannot open \"%s\": %s", path, strerror(-r));
        note_store(*ret);
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
        note_store(root);
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
        return backup_store_default_path(root->path);
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
        if (r == -EPERM)
                return report_error(EXIT_BAD_INPUT,
                                    "--backup-dir: %s is not a 0700 directory of root's, or lies where other users can "
                                    "write; remedy never changes an existing directory's mode: choose another",
                                    dir);
        if (r < 0)
                /* A store that is not safe to use is refused; an I/O error is a failure. */
                return report_error(r == -ELOOP || r == -ENOTDIR ? EXIT_BAD_INPUT : EXIT_FAILED,
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
                if (p->n_steps == 0)
                        return report_error(EXIT_BAD_INPUT, "%s is report only: it has no steps to run "
                                                            "(its advice: remedy show %s)", p->name, p->name);
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
        r = diagnose_node(*ret_set, *ret_root, arg_root != NULL, *ret_bus, arg_api_server, ret, &error);
        if (r < 0)
                /* Not 1, which says "found something": a diagnosis that could not be made (the
                 * journal unreadable, a parameter's node fact unreadable; files a match reads that
                 * do not parse are the diagnosis' problems, not errors) must not read as a finding
                 * to remedy-diagnose.service or a script. Nothing was changed: 2. */
                return report_error(EXIT_BAD_INPUT, "diagnose: %s", error ? error : strerror(-r));
        return 0;
}
