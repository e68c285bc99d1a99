/* SPDX-License-Identifier: MIT */
/*
 * sd-bus and sd-journal against a real systemd: runs INSIDE a lab node (tests/lab/bus.sh boots one
 * and installs the lab-*.service units this program drives). Never run it on a machine you care
 * about: it starts, stops, enables and masks units and rewrites /etc/systemd/system/lab-sleep.service.
 *
 *   test-bus           everything that needs a working bus
 *   test-bus no-bus    expects systemd_bus_open() to fail (the wrapper has stopped dbus first)
 */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "remedy/journal.h"
#include "remedy/systemd-bus.h"
#include "tap.h"

#define SEC UINT64_C(1000000)
#define JOB_TIMEOUT (30 * SEC)
#define WANTS_LINK "/etc/systemd/system/multi-user.target.wants/lab-sleep.service"
#define SLEEP_UNIT_FILE "/etc/systemd/system/lab-sleep.service"
#define MASK_LINK "/etc/systemd/system/lab-mask.service"

static uint64_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * SEC + (uint64_t) ts.tv_nsec / 1000;
}

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool contains(const char *haystack, const char *needle) {
        return haystack && strstr(haystack, needle);
}

/* The link's target, or "" when path is not a symlink. */
static const char *link_target(const char *path) {
        static char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        target[n < 0 ? 0 : n] = '\0';
        return target;
}

static bool path_exists(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0;
}

static UnitState state_of(SystemdBus *bus, const char *unit) {
        _cleanup_free_ char *error = NULL;
        UnitState s = {};
        int r = systemd_bus_get_unit_state(bus, unit, &s, &error);
        if (r < 0) {
                diag("get_unit_state %s: %d %s", unit, r, strempty(error));
                exit(1);
        }
        return s;
}

static int run_job(SystemdBus *bus, UnitJobType type, const char *unit, uint64_t timeout, char **ret_result,
                   char **ret_error) {
        int r = systemd_bus_run_job(bus, type, unit, timeout, ret_result, ret_error);
        if (r < 0)
                diag("%s %s: %d (%s)", unit_job_type_name(type), unit, r, ret_error ? strempty(*ret_error) : "");
        return r;
}

static void test_open(void) {
        _cleanup_(systemd_bus_freep) SystemdBus *host = NULL, *user = NULL, *none = NULL;
        _cleanup_free_ char *error = NULL, *user_error = NULL, *root = NULL;
        int r;

        r = systemd_bus_open(BUS_SCOPE_MACHINE, ".host", &host, &error);
        is_int(r, 0, "the system bus of machine .host opens (%s)", strempty(error));
        is_str(systemd_bus_describe(host), "machine .host's system bus", "described with the machine name");
        r = host ? systemd_bus_root_directory(host, &root) : -1;
        is_int(r, 0, "machined gives .host's leader");
        is_str(root, "/proc/1/root", "the root of .host is PID 1's root");

        r = systemd_bus_open(BUS_SCOPE_USER, NULL, &user, &user_error);
        ok(r < 0 && !user, "no user bus for root in the node");
        ok(contains(user_error, "cannot reach systemd on the user bus: ") && !strchr(user_error, '\n'),
           "one line naming the user bus: %s", strempty(user_error));

        is_int(systemd_bus_open(BUS_SCOPE_MACHINE, NULL, &none, NULL), -EINVAL, "a machine scope needs a name");
}

static void test_unit_state(SystemdBus *bus) {
        _cleanup_(unit_state_done) UnitState missing = state_of(bus, "lab-nonexistent.service");
        is_str(missing.load_state, "not-found", "a unit without a unit file is not-found");
        is_str(missing.active_state, "inactive", "and inactive");
        is_str(missing.unit_file_state, "", "with no unit file state");
        is_str(missing.invocation_id, "", "and no invocation");
        is_int(missing.main_pid, 0, "and no main PID");

        _cleanup_(unit_state_done) UnitState idle = state_of(bus, "lab-sleep.service");
        is_str(idle.load_state, "loaded", "lab-sleep.service is loaded");
        is_str(idle.active_state, "inactive", "and inactive before the test starts it");
        is_str(idle.unit_file_state, "disabled", "and disabled");

        _cleanup_free_ char *error = NULL;
        UnitState bad = {};
        int r = systemd_bus_get_unit_state(bus, "not a unit name", &bad, &error);
        ok(r < 0 && contains(error, "not a unit name"), "an invalid name is an error naming it: %s", strempty(error));
}

static void test_jobs(SystemdBus *bus) {
        _cleanup_free_ char *result = NULL, *error = NULL;
        int r;

        is_int(run_job(bus, UNIT_JOB_START, "lab-sleep.service", JOB_TIMEOUT, NULL, NULL), 0, "start lab-sleep");
        _cleanup_(unit_state_done) UnitState started = state_of(bus, "lab-sleep.service");
        is_str(started.active_state, "active", "lab-sleep is active");
        is_str(started.sub_state, "running", "and running");
        is_int(started.n_restarts, 0, "with no restarts");
        ok(strlen(started.invocation_id) == 32 && strspn(started.invocation_id, "0123456789abcdef") == 32,
           "an invocation ID of 32 hex digits: %s", started.invocation_id);
        ok(started.main_pid > 1, "a main PID: %u", started.main_pid);
        ok(started.active_enter_usec > 0 && started.active_enter_usec <= now_realtime(), "an activation time");
        ok(started.state_change_usec >= started.active_enter_usec, "a state change time");

        is_int(run_job(bus, UNIT_JOB_START, "lab-sleep.service", JOB_TIMEOUT, NULL, NULL), 0,
               "starting it again is fine");

        is_int(run_job(bus, UNIT_JOB_RESTART, "lab-sleep.service", JOB_TIMEOUT, NULL, NULL), 0, "restart lab-sleep");
        _cleanup_(unit_state_done) UnitState restarted = state_of(bus, "lab-sleep.service");
        is_str(restarted.active_state, "active", "active after the restart");
        ok(strlen(restarted.invocation_id) == 32 && !streq(restarted.invocation_id, started.invocation_id),
           "a new invocation ID");
        ok(restarted.main_pid > 1 && restarted.main_pid != started.main_pid, "a new main PID");

        r = run_job(bus, UNIT_JOB_RELOAD, "lab-sleep.service", JOB_TIMEOUT, &result, &error);
        ok(r < 0 && r != -EIO && r != -ETIMEDOUT, "reloading a unit without ExecReload= is refused");
        ok(contains(error, "lab-sleep.service: cannot reload the unit: ") && contains(error, "not applicable"),
           "saying so: %s", strempty(error));
        ok(!result, "no job, so no result");
        error = mfree(error);

        is_int(run_job(bus, UNIT_JOB_STOP, "lab-sleep.service", JOB_TIMEOUT, NULL, NULL), 0, "stop lab-sleep");
        _cleanup_(unit_state_done) UnitState stopped = state_of(bus, "lab-sleep.service");
        is_str(stopped.active_state, "inactive", "inactive after the stop");
        is_str(stopped.sub_state, "dead", "and dead");
        is_int(stopped.main_pid, 0, "without a main PID");

        r = run_job(bus, UNIT_JOB_START, "lab-false.service", JOB_TIMEOUT, &result, &error);
        is_int(r, -EIO, "a unit whose ExecStart= fails fails its start job");
        is_str(result, "failed", "with result \"failed\"");
        is_str(error, "lab-false.service: start job failed (the unit failed: its process exited with an error code; "
                      "see journalctl -u lab-false.service)", "in plain words");
        result = mfree(result);
        error = mfree(error);

        r = run_job(bus, UNIT_JOB_START, "lab-dep.service", JOB_TIMEOUT, &result, &error);
        is_int(r, -EIO, "a unit whose requirement fails fails its start job");
        is_str(result, "dependency", "with result \"dependency\"");
        ok(contains(error, "a unit it depends on failed"), "in plain words: %s", strempty(error));
        result = mfree(result);
        error = mfree(error);

        r = run_job(bus, UNIT_JOB_RELOAD, "lab-reload.service", JOB_TIMEOUT, &result, &error);
        is_int(r, -EIO, "reloading an inactive unit fails its job");
        is_str(result, "invalid", "with result \"invalid\"");
        ok(contains(error, "lab-reload.service: reload job invalid"), "in plain words: %s", strempty(error));
        result = mfree(result);
        error = mfree(error);
        is_int(run_job(bus, UNIT_JOB_START, "lab-reload.service", JOB_TIMEOUT, NULL, NULL), 0, "start lab-reload");
        is_int(run_job(bus, UNIT_JOB_RELOAD, "lab-reload.service", JOB_TIMEOUT, NULL, NULL), 0,
               "reloading it while active works");
        is_int(run_job(bus, UNIT_JOB_STOP, "lab-reload.service", JOB_TIMEOUT, NULL, NULL), 0, "stop lab-reload");

        double t0 = now_seconds();
        r = systemd_bus_run_job(bus, UNIT_JOB_START, "lab-slow.service", SEC, &result, &error);
        double waited = now_seconds() - t0;
        is_int(r, -ETIMEDOUT, "a start that takes longer than the timeout times out");
        ok(waited >= 0.9 && waited < 3.0, "after about the timeout (%.2f s)", waited);
        ok(!result, "without a job result");
        ok(contains(error, "lab-slow.service: the start job did not finish within 1.0 s"), "saying so: %s",
           strempty(error));
        error = mfree(error);
        _cleanup_(unit_state_done) UnitState slow = state_of(bus, "lab-slow.service");
        is_str(slow.active_state, "activating", "the job was left running");
        is_int(run_job(bus, UNIT_JOB_STOP, "lab-slow.service", JOB_TIMEOUT, NULL, NULL), 0,
               "stopping it cancels the start");

        r = run_job(bus, UNIT_JOB_START, "lab-nonexistent.service", JOB_TIMEOUT, &result, &error);
        is_int(r, -ENOENT, "starting a unit that does not exist is -ENOENT");
        ok(contains(error, "lab-nonexistent.service: cannot start the unit: ") && contains(error, "not found"),
           "saying so: %s", strempty(error));
}

static void test_unit_files(SystemdBus *bus) {
        _cleanup_free_ char *changes = NULL, *error = NULL;
        int r;

        r = systemd_bus_unit_file_op(bus, UNIT_FILE_OP_ENABLE, "lab-sleep.service", &changes, &error);
        is_int(r, 0, "enable lab-sleep (%s)", strempty(error));
        is_str(changes, "Created symlink " WANTS_LINK " \u2192 " SLEEP_UNIT_FILE ".", "reported as systemctl does");
        is_str(link_target(WANTS_LINK), SLEEP_UNIT_FILE, "the wants link is on disk");
        _cleanup_(unit_state_done) UnitState enabled = state_of(bus, "lab-sleep.service");
        is_str(enabled.unit_file_state, "enabled", "systemd says enabled");
        changes = mfree(changes);

        is_int(systemd_bus_unit_file_op(bus, UNIT_FILE_OP_ENABLE, "lab-sleep.service", &changes, NULL), 0,
               "enable again");
        is_str(changes, "", "changes nothing");
        changes = mfree(changes);

        is_int(systemd_bus_unit_file_op(bus, UNIT_FILE_OP_DISABLE, "lab-sleep.service", &changes, NULL), 0, "disable");
        is_str(changes, "Removed \"" WANTS_LINK "\".", "reported as systemctl does");
        ok(!path_exists(WANTS_LINK), "the wants link is gone");
        _cleanup_(unit_state_done) UnitState disabled = state_of(bus, "lab-sleep.service");
        is_str(disabled.unit_file_state, "disabled", "systemd says disabled");
        changes = mfree(changes);

        is_int(systemd_bus_unit_file_op(bus, UNIT_FILE_OP_MASK, "lab-mask.service", &changes, NULL), 0,
               "mask lab-mask");
        is_str(changes, "Created symlink " MASK_LINK " \u2192 /dev/null.", "reported as systemctl does");
        is_str(link_target(MASK_LINK), "/dev/null", "the mask link is on disk");
        _cleanup_(unit_state_done) UnitState masked = state_of(bus, "lab-mask.service");
        is_str(masked.unit_file_state, "masked", "systemd says masked");
        is_int(systemd_bus_daemon_reload(bus, NULL), 0, "daemon-reload");
        _cleanup_(unit_state_done) UnitState masked_loaded = state_of(bus, "lab-mask.service");
        is_str(masked_loaded.load_state, "masked", "loaded as masked after the reload");
        changes = mfree(changes);

        is_int(systemd_bus_unit_file_op(bus, UNIT_FILE_OP_UNMASK, "lab-mask.service", &changes, NULL), 0, "unmask");
        is_str(changes, "Removed \"" MASK_LINK "\".", "reported as systemctl does");
        ok(!path_exists(MASK_LINK), "the mask link is gone");
        _cleanup_(unit_state_done) UnitState unmasked = state_of(bus, "lab-mask.service");
        is_str(unmasked.unit_file_state, "static", "systemd says static (no [Install])");
        changes = mfree(changes);

        r = systemd_bus_unit_file_op(bus, UNIT_FILE_OP_MASK, "lab-sleep.service", &changes, &error);
        ok(r < 0, "masking a unit whose file is in /etc is refused (%d)", r);
        ok(contains(error, "lab-sleep.service: mask failed: "), "naming the unit: %s", strempty(error));
        ok(link_target(SLEEP_UNIT_FILE)[0] == '\0' && path_exists(SLEEP_UNIT_FILE), "the unit file is untouched");
        error = mfree(error);

        r = systemd_bus_unit_file_op(bus, UNIT_FILE_OP_ENABLE, "lab-nonexistent.service", &changes, &error);
        ok(r < 0 && contains(error, "lab-nonexistent.service: enable failed: "),
           "enabling a unit that does not exist fails: %s", strempty(error));
        ok(!changes, "with no changes");
}

static void test_daemon_reload(SystemdBus *bus) {
        /* Running, so that systemd keeps it loaded: an unloaded unit is simply read afresh. */
        is_int(run_job(bus, UNIT_JOB_START, "lab-sleep.service", JOB_TIMEOUT, NULL, NULL), 0, "start lab-sleep");
        FILE *f = fopen(SLEEP_UNIT_FILE, "we");
        ok(f && fputs("[Unit]\nDescription=lab sleep, edited\n[Service]\nExecStart=/bin/sleep infinity\n"
                      "[Install]\nWantedBy=multi-user.target\n", f) >= 0 && fclose(f) == 0, "edit lab-sleep.service");
        _cleanup_(unit_state_done) UnitState edited = state_of(bus, "lab-sleep.service");
        ok(edited.need_daemon_reload, "systemd needs a reload");
        is_int(systemd_bus_daemon_reload(bus, NULL), 0, "daemon-reload");
        _cleanup_(unit_state_done) UnitState reloaded = state_of(bus, "lab-sleep.service");
        ok(!reloaded.need_daemon_reload, "and no longer after it");
        is_int(run_job(bus, UNIT_JOB_STOP, "lab-sleep.service", JOB_TIMEOUT, NULL, NULL), 0, "stop lab-sleep");
}

static regex_t compile(const char *pattern) {
        regex_t re;
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                abort();
        return re;
}

/* journald reads a service's stdout asynchronously: the line may land a moment after the job. */
static int search_until_found(const char *unit, const char *pattern, const char *after, JournalHit *hit) {
        regex_t re = compile(pattern);
        JournalSearch q = { .unit = unit, .after_cursor = after, .match = &re };
        int r = 0;
        for (int i = 0; i < 100; i++) {
                _cleanup_free_ char *error = NULL;
                r = journal_search(NULL, &q, hit, NULL, &error);
                if (r != 0) {
                        if (r < 0)
                                diag("journal_search: %s", strempty(error));
                        break;
                }
                usleep(100 * 1000);
        }
        regfree(&re);
        return r;
}

static int search(const char *directory, const JournalSearch *q, const char *pattern, JournalHit *hit,
                  unsigned *n_read) {
        regex_t re = compile(pattern);
        JournalSearch s = *q;
        s.match = &re;
        _cleanup_free_ char *error = NULL;
        int r = journal_search(directory, &s, hit, n_read, &error);
        if (r < 0)
                diag("journal_search: %d %s", r, strempty(error));
        regfree(&re);
        return r;
}

static void test_journal(SystemdBus *bus) {
        _cleanup_free_ char *cursor = NULL, *error = NULL, *line1 = NULL, *line2 = NULL, *empty = NULL;
        unsigned n_read = 99;
        int r;

        is_int(journal_tail_cursor(NULL, &cursor, &error), 0, "the journal's tail cursor (%s)", strempty(error));
        ok(cursor && startswith(cursor, "s="), "is a cursor: %s", strempty(cursor));

        JournalHit hit = {};
        JournalSearch q = { .unit = "lab-log.service", .after_cursor = cursor };
        is_int(search(NULL, &q, "lab-marker", &hit, &n_read), 0, "nothing of lab-log after the cursor yet");
        is_int(n_read, 0, "and nothing read");

        is_int(run_job(bus, UNIT_JOB_START, "lab-log.service", JOB_TIMEOUT, NULL, NULL), 0, "run lab-log once");
        _cleanup_(unit_state_done) UnitState run1 = state_of(bus, "lab-log.service");
        is_int(run_job(bus, UNIT_JOB_RESTART, "lab-log.service", JOB_TIMEOUT, NULL, NULL), 0, "and twice");
        _cleanup_(unit_state_done) UnitState run2 = state_of(bus, "lab-log.service");
        ok(asprintf(&line1, "lab-marker %s", run1.invocation_id) > 0 &&
           asprintf(&line2, "lab-marker %s", run2.invocation_id) > 0 && strlen(run1.invocation_id) == 32 &&
           !streq(line1, line2), "two invocations");

        ok(search_until_found("lab-log.service", line2, cursor, &hit) == 1, "the second run's line arrives");
        journal_hit_done(&hit);

        is_int(search(NULL, &q, "lab-marker", &hit, &n_read), 1, "lab-log's marker is found after the cursor");
        is_str(hit.message, line1, "the oldest match first");
        is_str(hit.unit, "lab-log.service", "of the unit");
        ok(hit.pid > 1, "from its process (%u)", hit.pid);
        ok(hit.realtime_usec > 0 && hit.realtime_usec <= now_realtime(), "with its time");
        ok(hit.cursor && !streq(hit.cursor, cursor), "and its own cursor");
        ok(n_read >= 4, "systemd's lines about the unit are read too (%u)", n_read);
        unsigned n_all = n_read;

        JournalHit next = {};
        JournalSearch after_hit = { .unit = "lab-log.service", .after_cursor = hit.cursor };
        is_int(search(NULL, &after_hit, "lab-marker", &next, NULL), 1, "searching after that line");
        is_str(next.message, line2, "finds the next run's line, not the line at the cursor");
        JournalHit none = {};
        JournalSearch after_next = { .unit = "lab-log.service", .after_cursor = next.cursor };
        is_int(search(NULL, &after_next, line1, &none, NULL), 0, "the first line is not after the second");
        journal_hit_done(&next);

        JournalSearch bounded = { .unit = "lab-log.service", .after_cursor = cursor, .max_entries = 2 };
        r = search(NULL, &bounded, "lab-marker", &next, &n_read);
        is_int(n_read, 2, "max_entries bounds what is read");
        ok(r == 0 || streq(next.message, line2), "to the newest entries");
        journal_hit_done(&next);

        JournalSearch future = { .unit = "lab-log.service", .since_usec = now_realtime() + 3600 * SEC };
        is_int(search(NULL, &future, "lab-marker", &next, &n_read), 0, "nothing since an hour from now");
        is_int(n_read, 0, "and nothing read");

        JournalSearch whole = { .unit = "lab-log.service" };
        is_int(search(NULL, &whole, "lab-marker", &next, &n_read), 1, "without a cursor the whole journal is read");
        ok(n_read >= n_all, "at least as many lines (%u)", n_read);
        journal_hit_done(&next);

        is_int(search("/", &q, "lab-marker", &next, NULL), 1, "the journal read as an OS tree at / has it too");
        is_str(next.message, line1, "the same line");
        journal_hit_done(&next);

        /* The unit filter: lab-other logs its own marker, lab-log's search must not see it. */
        is_int(run_job(bus, UNIT_JOB_START, "lab-other.service", JOB_TIMEOUT, NULL, NULL), 0, "run lab-other");
        ok(search_until_found("lab-other.service", "lab-other-marker", cursor, &next) == 1, "its marker arrives");
        is_str(next.unit, "lab-other.service", "as lab-other's");
        journal_hit_done(&next);
        is_int(search(NULL, &q, "lab-other-marker", &next, NULL), 0, "lab-log's lines do not include lab-other's");

        /* A root daemon's message about a unit (OBJECT_SYSTEMD_UNIT), binary: a NUL and a newline. */
        static const char message[] = "MESSAGE=lab-binary\0mid\nend";
        struct iovec fields[] = {
                { (void *) message, sizeof(message) - 1 },
                { (void *) "OBJECT_SYSTEMD_UNIT=lab-binary.service", strlen("OBJECT_SYSTEMD_UNIT=lab-binary.service") },
                { (void *) "PRIORITY=6", strlen("PRIORITY=6") },
        };
        is_int(sd_journal_sendv(fields, ELEMENTSOF(fields)), 0, "log a binary message about lab-binary.service");
        ok(search_until_found("lab-binary.service", "^lab-binary", cursor, &next) == 1,
           "a root process's message about the unit is the unit's");
        is_str(next.message, "lab-binary\\x00mid\\x0aend", "binary bytes escaped");
        journal_hit_done(&next);

        JournalSearch bad_cursor = { .unit = "lab-log.service", .after_cursor = "not-a-cursor" };
        ok(search(NULL, &bad_cursor, "x", &next, NULL) < 0, "a malformed cursor is an error");

        r = journal_tail_cursor("/nonexistent-lab-dir", &empty, &error);
        ok(r == -ENOENT && contains(error, "\"/nonexistent-lab-dir\""), "a missing directory is an error: %s",
           strempty(error));
        error = mfree(error);
        char dir[] = "/tmp/lab-journal-XXXXXX";
        ok(mkdtemp(dir) != NULL, "an empty directory");
        is_int(journal_tail_cursor(dir, &empty, &error), 0, "an OS tree without a journal has no tail");
        ok(!empty, "the cursor is NULL");
        is_int(search(dir, &q, "x", &next, &n_read), 0, "and nothing is found there");
        rmdir(dir);
        journal_hit_done(&hit);
}

static int test_no_bus(void) {
        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_free_ char *error = NULL;
        int r = systemd_bus_open(BUS_SCOPE_SYSTEM, NULL, &bus, &error);
        ok(r < 0 && !bus, "without dbus the system bus does not open (%d)", r);
        ok(contains(error, "cannot reach systemd on the system bus: ") && !strchr(error, '\n'),
           "one line naming the bus: %s", strempty(error));
        return tap_done();
}

int main(int argc, char *argv[]) {
        if (argc > 1 && streq(argv[1], "no-bus"))
                return test_no_bus();

        _cleanup_(systemd_bus_freep) SystemdBus *bus = NULL;
        _cleanup_free_ char *error = NULL;
        int r = systemd_bus_open(BUS_SCOPE_SYSTEM, NULL, &bus, &error);
        if (!ok(r == 0, "the system bus opens (%s)", strempty(error)))
                return tap_done();
        is_str(systemd_bus_describe(bus), "the system bus", "described as the system bus");
        _cleanup_free_ char *root = NULL;
        is_int(systemd_bus_root_directory(bus, &root), 0, "the system bus's root");
        is_str(root, "/", "is /");

        test_open();
        test_unit_state(bus);
        test_jobs(bus);
        test_unit_files(bus);
        test_daemon_reload(bus);
        test_journal(bus);
        return tap_done();
}
