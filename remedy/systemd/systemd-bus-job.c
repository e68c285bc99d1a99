/* SPDX-License-Identifier: MIT */
/* Jobs: StartUnit and friends, waiting for systemd's JobRemoved signal of the job queued. */
#include "remedy/systemd-bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "remedy/strv.h"
#include "systemd-bus-internal.h"

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static const char *const unit_job_type_table[_UNIT_JOB_MAX] = {
        [UNIT_JOB_START] = "start",
        [UNIT_JOB_STOP] = "stop",
        [UNIT_JOB_RESTART] = "restart",
        [UNIT_JOB_RELOAD] = "reload",
};

const char *unit_job_type_name(UnitJobType t) {
        return (unsigned) t < _UNIT_JOB_MAX ? unit_job_type_table[t] : NULL;
}

/* The JobRemoved signals seen so far, as pairs of job path and result. A job can finish at once,
 * and sd_bus_call() queues what arrives while it waits for its reply, so the signal may be there
 * before the reply to StartUnit has told which job is ours: every removed job is kept until then,
 * as systemd's bus-wait-for-jobs does. */
typedef struct JobWatch {
        char **removed;         /* path, result, path, result, ... */
        int error;
} JobWatch;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        JobWatch *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
        if (r < 0) {
                w->error = r;
                return 0;
        }
        if ((r = strv_extend(&w->removed, path)) < 0 || (r = strv_extend(&w->removed, result)) < 0)
                w->error = r;
        return 0;
}

static void job_watch_done(JobWatch *w) {
        w->removed = strv_free(w->removed);
}

static const char *job_removed_result(const JobWatch *w, const char *job_path) {
        for (char **p = w->removed; p && p[0] && p[1]; p += 2)
                if (streq(p[0], job_path))
                        return p[1];
        return NULL;
}

/* A failed service says why in Service.Result; worded after systemctl's job failure hints. */
static const char *service_result_explanation(const char *result) {
        static const char *const table[][2] = {
                { "exit-code", "its process exited with an error code" },
                { "signal", "its process was killed by a signal" },
                { "core-dump", "its process dumped core" },
                { "timeout", "a timeout was exceeded" },
                { "watchdog", "the watchdog was not fed in time" },
                { "start-limit-hit", "it was started too often in a row (start limit hit)" },
                { "resources", "it could not get the resources it needs" },
                { "oom-kill", "the out-of-memory killer stopped it" },
                { "exec-condition", "its ExecCondition= failed" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i][0], result))
                        return table[i][1];
        return NULL;
}

static int job_failure_message(SystemdBus *b, UnitJobType type, const char *name, const char *result,
                               char **ret_error) {
        const char *job = unit_job_type_name(type);

        if (streq(result, "failed")) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *path = NULL, *service_result = NULL;
                const char *why = NULL;

                /* Best effort: without the reason the message is still right, just shorter. */
                if (endswith(name, ".service") && systemd_bus_unit_path(b, name, &path, &error) >= 0 &&
                    sd_bus_get_property_string(b->bus, SYSTEMD_SERVICE, path, SERVICE_INTERFACE, "Result", &error,
                                               &service_result) >= 0)
                        why = service_result_explanation(service_result);
                return systemd_bus_fail_text(ret_error, -EIO,
                                             "%s: %s job failed (the unit failed%s%s; see journalctl -u %s)", name,
                                             job, why ? ": " : "", strempty(why), name);
        }

        static const char *const table[][2] = {
                { "dependency", "a unit it depends on failed" },
                { "timeout", "the job timed out" },
                { "canceled", "the job was canceled by another job" },
                { "skipped", "the job was skipped: it does not apply to the unit's current state" },
                { "invalid", "the job is not valid for the unit's state (e.g. reload of an inactive unit)" },
                { "assert", "an Assert= of the unit failed" },
                { "unsupported", "the unit type or operation is not supported on this system" },
                { "collected", "the queued job was garbage collected" },
                { "once", "the unit may only be started once and was started already" },
                { "frozen", "the unit is frozen" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i][0], result))
                        return systemd_bus_fail_text(ret_error, -EIO, "%s: %s job %s (%s)", name, job, result,
                                                     table[i][1]);
        return systemd_bus_fail_text(ret_error, -EIO, "%s: %s job ended with result \"%s\"", name, job, result);
}

int systemd_bus_run_job(SystemdBus *b, UnitJobType type, const char *name, uint64_t timeout_usec,
                        char **ret_result, char **ret_error) {
        static const char *const methods[_UNIT_JOB_MAX] = {
                [UNIT_JOB_START] = "StartUnit",
                [UNIT_JOB_STOP] = "StopUnit",
                [UNIT_JOB_RESTART] = "RestartUnit",
                [UNIT_JOB_RELOAD] = "ReloadUnit",
        };
        /* Declared before the slot, so that the slot (and its callback) goes first. */
        _cleanup_(job_watch_done) JobWatch watch = {};
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *job_path = NULL;
        const char *path, *result = NULL;
        int r;

        if (!b || !name || (unsigned) type >= _UNIT_JOB_MAX)
                return -EINVAL;
        const char *job = unit_job_type_name(type);
        uint64_t start = now_usec();
        /* UINT64_MAX waits for ever (sd_bus_wait() takes it so too). */
        uint64_t deadline = timeout_usec > UINT64_MAX - start ? UINT64_MAX : start + timeout_usec;

        /* Match first, then Subscribe, then the job: systemd only sends JobRemoved to subscribers,
         * and a job that finishes at once must find the match already in place. */
        r = sd_bus_match_signal(b->bus, &slot, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "JobRemoved",
                                on_job_removed, &watch);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, NULL, "%s: cannot watch for systemd's jobs on %s", name,
                                        systemd_bus_describe(b));
        r = sd_bus_call_method(b->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "Subscribe", &error, NULL,
                               NULL);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.AlreadySubscribed"))
                return systemd_bus_fail(ret_error, r, &error, "%s: cannot subscribe to systemd's jobs on %s",
                                        name, systemd_bus_describe(b));
        sd_bus_error_free(&error);

        r = sd_bus_call_method(b->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, methods[type], &error,
                               &reply, "ss", name, "replace");
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "%s: cannot %s the unit", name, job);
        r = sd_bus_message_read_basic(reply, 'o', &path);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, NULL, "%s: %s: unexpected reply", name, job);
        job_path = strdup(path);
        if (!job_path)
                return -ENOMEM;

        while (!(result = job_removed_result(&watch, job_path))) {
                if (watch.error < 0)
                        return watch.error;
                r = sd_bus_process(b->bus, NULL);
                if (r > 0)
                        continue;
                if (r < 0)
                        return systemd_bus_fail(ret_error, r, NULL, "%s: lost %s while waiting for the %s job",
                                                name, systemd_bus_describe(b), job);
                uint64_t now = now_usec();
                if (now >= deadline)
                        return systemd_bus_fail_text(ret_error, -ETIMEDOUT,
                                                     "%s: the %s job did not finish within %.1f s (it stays queued)",
                                                     name, job, (double) timeout_usec / USEC_PER_SEC);
                r = sd_bus_wait(b->bus, deadline - now);
                if (r < 0)
                        return systemd_bus_fail(ret_error, r, NULL, "%s: lost %s while waiting for the %s job",
                                                name, systemd_bus_describe(b), job);
        }

        if (streq(result, "done"))
                return 0;
        if (ret_result && !(*ret_result = strdup(result)))
                return -ENOMEM;
        return job_failure_message(b, type, name, result, ret_error);
}
