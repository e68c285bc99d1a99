/* SPDX-License-Identifier: MIT */
/*
 * race-swap A B [HOLD-A-US HOLD-B-US]: the attacker of tests/tree/race.sh. Exchanges two paths (a
 * directory of the node and a symlink that points out of it) with renameat2(RENAME_EXCHANGE), so
 * that code that checks a path and then uses it by name meets the symlink in between. Each
 * arrangement is held for a random time up to its HOLD (microseconds; 0, the default, swaps as
 * fast as it can): a run that meets the symlink at every step refuses early and never reaches
 * the write that a check-then-use race would send outside, so the test lets most checks pass.
 * On SIGTERM it stops with both paths where they started and prints how many swaps it made.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void hold(unsigned long max_us) {
        if (max_us == 0)
                return;
        unsigned long us = (unsigned long) random() % max_us;
        struct timespec ts = { .tv_sec = (time_t) (us / 1000000), .tv_nsec = (long) (us % 1000000) * 1000 };
        nanosleep(&ts, NULL);
}

static void on_term(int sig) {
        (void) sig;
        stop = 1;
}

int main(int argc, char *argv[]) {
        struct sigaction sa = { .sa_handler = on_term };
        unsigned long long swaps = 0;

        unsigned long hold_us[2] = { 0, 0 };

        if (argc != 3 && argc != 5) {
                fprintf(stderr, "usage: race-swap PATH-A PATH-B [HOLD-A-US HOLD-B-US]\n");
                return 2;
        }
        if (argc == 5) {
                hold_us[0] = strtoul(argv[3], NULL, 10);
                hold_us[1] = strtoul(argv[4], NULL, 10);
        }
        srandom((unsigned) getpid());
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
                return 1;
        /* Swap in pairs so that stopping between pairs leaves both paths as they were. */
        while (!stop)
                for (int k = 0; k < 2; k++) {
                        if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
                                fprintf(stderr, "race-swap: %s <-> %s: %s\n", argv[1], argv[2], strerror(errno));
                                return 1;
                        }
                        swaps++;
                        hold(hold_us[(k + 1) % 2]);
                }
        printf("%llu\n", swaps);
        return 0;
}
