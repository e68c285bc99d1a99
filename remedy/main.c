/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
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
bool arg_no_rollback;
unsigned arg_keep;
bool arg_keep_set;
BusScope arg_bus_scope = BUS_SCOPE_SYSTEM;
char *arg_machine;
uint64_t arg_job_timeout_usec = 120 * USEC_PER_SEC;

static void help(void) {
        printf("remedy %s — repairs Kubernetes node boot failures, with dry-run diffs, backups and rollback\n\n"
               "Usage: remedy [OPTIONS] COMMAND ...\n\n"
               "Commands:\n"
               "  diagnose                              which known failures the node has, the evidence,\n"
               "                                        and the playbook that fixes each (exit 1: found)\n"
               "  fix [--dry-run] [--set KEY=VALUE]...  apply what diagnose finds, as one transaction\n"
               "  list                                  playbooks found: name and summary\n"
               "  show NAME                             the validated playbook: params, steps, verify\n"
               "  plan NAME... [--set KEY=VALUE]... [--exit-code]\n"
               "                                        what apply would change, with diffs; writes nothing\n"
               "  apply NAME... [--set KEY=VALUE]... [--dry-run] [--no-rollback]\n"
               "                                        back up, change, verify; roll back on failure\n"
               "  rollback [ID | --last] [--dry-run]    restore the files of a transaction, then its units\n"
               "  backups list | show ID | verify ID | prune --keep=N\n\n"
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
               "      --last             rollback: the newest transaction\n"
               "      --keep=N           backups prune: how many transactions to keep\n"
               "      --json             print the report as one JSON document\n"
               "      --no-color         no colours\n"
               "  -v, --verbose          more messages (twice: debug)\n"
               "  -q, --quiet            errors only\n"
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
        OPT_KEEP,
        OPT_JSON,
        OPT_NO_COLOR,
        OPT_VERSION,
        OPT_SYSTEM,
        OPT_USER,
        OPT_MACHINE,
        OPT_JOB_TIMEOUT,
};

static int parse_argv(int argc, char **argv, bool *ret_color_set) {
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "playbooks", required_argument, NULL, OPT_PLAYBOOKS },
                { "backup-dir", required_argument, NULL, OPT_BACKUP_DIR },
                { "set", required_argument, NULL, OPT_SET },
                { "exit-code", no_argument, NULL, OPT_EXIT_CODE },
                { "dry-run", no_argument, NULL, OPT_DRY_RUN },
                { "no-rollback", no_argument, NULL, OPT_NO_ROLLBACK },
                { "last", no_argument, NULL, OPT_LAST },
                { "keep", required_argument, NULL, OPT_KEEP },
                { "json", no_argument, NULL, OPT_JSON },
                { "no-color", no_argument, NULL, OPT_NO_COLOR },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "system", no_argument, NULL, OPT_SYSTEM },
                { "user", no_argument, NULL, OPT_USER },
                { "machine", required_argument, NULL, OPT_MACHINE },
                { "job-timeout", required_argument, NULL, OPT_JOB_TIMEOUT },
                {},
        };
        int c, verbosity = 0;

        /* Options may come before or after the command, as with git and systemctl. */
        while ((c = getopt_long(argc, argv, "vqh", options, NULL)) >= 0) {
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
                case OPT_NO_COLOR:
                        report_options.color = false;
                        *ret_color_set = true;
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
                default:
                        return EXIT_BAD_INPUT;
                }
        }

        log_set_max_level(verbosity < 0    ? LOG_LEVEL_WARNING
                          : verbosity == 0 ? LOG_LEVEL_NOTICE
                          : verbosity == 1 ? LOG_LEVEL_INFO
                                           : LOG_LEVEL_DEBUG);
        return -1; /* go on */
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                VerbFunction run;
        } verbs[] = {
                { "list", verb_list },         { "show", verb_show },         { "plan", verb_plan },
                { "apply", verb_apply },       { "rollback", verb_rollback }, { "backups", verb_backups },
                { "diagnose", verb_diagnose }, { "fix", verb_fix },
        };
        bool color_set = false;
        int r;

        report_options.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
        r = parse_argv(argc, argv, &color_set);
        if (r >= 0)
                goto finish;
        if (report_options.json)
                report_options.color = false;

        if (optind >= argc) {
                r = report_error(EXIT_BAD_INPUT, "no command given; see remedy --help");
                goto finish;
        }

        r = -1;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind])) {
                        r = verbs[i].run(argc - optind, argv + optind);
                        break;
                }
        if (r < 0)
                r = report_error(EXIT_BAD_INPUT, "unknown command \"%s\"; see remedy --help", argv[optind]);

finish:
        free(arg_root);
        free(arg_machine);
        free(arg_backup_dir);
        strv_free(arg_playbook_dirs);
        strv_free(arg_sets);
        fflush(stdout);
        return r;
}
