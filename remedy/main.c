/* SPDX-License-Identifier: MIT */
/* remedy COMMAND: the options parsed (cli.c), then the command's verb-*.c run. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "remedy/report.h"
#include "verbs/metrics-textfile.h"
#include "verbs/verbs.h"

/* After the commands that find or change something; a metrics file that cannot be written
 * is an error of the run (exit 2 unless the run already failed), not a silent gap in a graph. */
static int write_metrics(const char *command, int status) {
        static const char * const commands[] = { "diagnose", "fix", "apply", "rollback", NULL };
        _cleanup_free_ char *error = NULL;

        bool known = false;
        for (const char * const *c = commands; *c; c++)
                if (streq(*c, command))
                        known = true;
        if (!known)
                return status;
        if (metrics_textfile_write(arg_metrics_textfile, command, status, &error) < 0) {
                int k = report_error(EXIT_BAD_INPUT, "--metrics-textfile: %s", error ? error : "out of memory");
                return status != 0 ? status : k;
        }
        return status;
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                VerbFunction run;
        } verbs[] = {
                { "list", verb_list },         { "show", verb_show },         { "plan", verb_plan },
                { "apply", verb_apply },       { "rollback", verb_rollback }, { "backups", verb_backups },
                { "diagnose", verb_diagnose }, { "fix", verb_fix },         { "snapshot", verb_snapshot },
                { "drift", verb_drift },
        };
        int r;

        report_options.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
        r = cli_parse_argv(argc, argv);
        if (r >= 0)
                goto finish;
        if (report_options.json || report_options.npd)
                report_options.color = false;
        if (report_options.npd && optind < argc && !streq(argv[optind], "diagnose")) {
                report_options.npd = false;
                r = report_error(EXIT_BAD_INPUT, "--format=npd is diagnose's (node-problem-detector's plugin protocol)");
                goto finish;
        }

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
        else if (arg_metrics_textfile)
                r = write_metrics(argv[optind], r);

finish:
        cli_args_free();
        fflush(stdout);
        return r;
}
