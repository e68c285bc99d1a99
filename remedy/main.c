/* SPDX-License-Identifier: MIT */
/* remedy COMMAND: the options parsed (cli.c), then the command's verb-*.c run. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "remedy/report.h"
#include "verbs/verbs.h"

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
        cli_args_free();
        fflush(stdout);
        return r;
}
