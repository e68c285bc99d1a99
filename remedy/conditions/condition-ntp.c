/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {ntp: {synchronized: BOOL}}, {ntp: {service: BOOL}}
 * verify:        {ntp: {synchronized: true, within: DURATION}}, {ntp: {service: true}}
 *
 * The clock's time synchronisation, live: synchronized is systemd-timedated's NTPSynchronized
 * over D-Bus (the kernel says the clock is synchronised, by whichever NTP client); service is
 * an NTP client's unit active (systemd-timesyncd, chrony or chronyd, ntp, ntpsec, openntpd, as
 * systemd reports it). As a check, synchronized waits up to within (default: no wait) for the
 * clock to be synchronised: a client that was just started needs a source that answers, and a
 * few of its answers. Without a time source the node reaches, that never comes, and the check
 * says "not synchronised" rather than claim a fix.
 *
 * Offline (--root), in a container, and live without timedated, nothing can be judged: the
 * condition never holds, the check is not run. The clock is the running kernel's: a disk has
 * none, and a container's is the host's, which no client in the container may set (timesyncd
 * will not even start there: ConditionVirtualization=!container).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kernel-config.h"
#include "remedy/pattern.h"
#include "remedy/strv.h"
#include "remedy/systemd-bus.h"

/* How often a check with within: asks timedated again. */
#define NTP_POLL_USEC (1 * USEC_PER_SEC)

/* The NTP clients whose units count as a time service (the units systemd's ntp-units.d lists on
 * Debian and Fedora, and the other clients' own names). */
static const char * const ntp_units[] = {
        "systemd-timesyncd.service", "chrony.service", "chronyd.service", "ntp.service", "ntpd.service",
        "ntpsec.service", "openntpd.service", NULL,
};

typedef struct NtpArgs {
        int synchronized;        /* -1: not asked */
        int service;             /* -1: not asked */
        uint64_t within_usec;
        char *within_text;
} NtpArgs;

static void ntp_args_free(void *p) {
        NtpArgs *a = p;
        if (!a)
                return;
        free(a->within_text);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(NtpArgs *, ntp_args_free);

static int ntp_parse(ParseContext *pc, const YamlNode *args, bool check, void **ret) {
        static const char * const condition_keys[] = { "synchronized", "service", NULL };
        static const char * const check_keys[] = { "synchronized", "service", "within", NULL };
        _cleanup_(ntp_args_freep) NtpArgs *a = calloc(1, sizeof(NtpArgs));
        bool synchronized = false, service = false;
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "ntp", check ? check_keys : condition_keys)) < 0)
                return r;
        bool has_sync = yaml_node_get(args, "synchronized"), has_service = yaml_node_get(args, "service");
        if (has_sync == has_service)
                return parse_error(pc, args, "ntp takes one of synchronized: BOOL and service: BOOL");
        if ((r = parse_bool(pc, args, "synchronized", false, &synchronized)) < 0 ||
            (r = parse_bool(pc, args, "service", false, &service)) < 0 ||
            (r = parse_string(pc, args, "within", false, &a->within_text)) < 0)
                return r;
        a->synchronized = has_sync ? synchronized : -1;
        a->service = has_service ? service : -1;
        if (a->within_text) {
                if (a->synchronized != 1)
                        return parse_error(pc, yaml_node_get(args, "within"), "within: applies to synchronized: true only");
                if (duration_parse(a->within_text, &a->within_usec) < 0 || a->within_usec == UINT64_MAX)
                        return parse_error(pc, yaml_node_get(args, "within"),
                                           "within: \"%s\" is not a time span such as 30s or 1min", a->within_text);
        }
        if (check && a->synchronized == 0)
                return parse_error(pc, yaml_node_get(args, "synchronized"), "a check wants the clock synchronised: synchronized: true");
        if (check && a->service == 0)
                return parse_error(pc, yaml_node_get(args, "service"), "a check wants a time service running: service: true");
        *ret = TAKE_PTR(a);
        return 0;
}

static int ntp_condition_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        return ntp_parse(pc, args, false, ret);
}

static int ntp_check_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        return ntp_parse(pc, args, true, ret);
}

/* 1 when some NTP client's unit is active (*ret_running names it), 0 when none (*ret_states says
 * what the installed ones are: "systemd-timesyncd.service inactive (disabled)"), or -errno. */
static int ntp_service_running(Context *c, char **ret_running, char **ret_states) {
        _cleanup_strv_free_ char **states = NULL;
        int r;

        *ret_running = *ret_states = NULL;
        for (const char * const *u = ntp_units; *u; u++) {
                _cleanup_(unit_state_done) UnitState st = {};
                _cleanup_free_ char *error = NULL;
                char *line = NULL;

                if ((r = systemd_bus_get_unit_state(c->bus, *u, &st, &error)) < 0)
                        return ctx_error(c, r, "%s: %s", *u, error ? error : strerror(-r));
                if (streq_ptr(st.load_state, "not-found"))
                        continue;
                if (streq_ptr(st.active_state, "active") || streq_ptr(st.active_state, "activating") ||
                    streq_ptr(st.active_state, "reloading"))
                        return (*ret_running = strdup(*u)) ? 1 : -ENOMEM;
                if (asprintf(&line, "%s %s (%s)", *u, strempty(st.active_state),
                             st.unit_file_state && *st.unit_file_state ? st.unit_file_state : "no unit file") < 0 ||
                    strv_consume(&states, line) < 0)
                        return -ENOMEM;
        }
        if (!states)
                return (*ret_states = strdup("no NTP client is installed")) ? 0 : -ENOMEM;
        size_t n = 0;
        STRV_FOREACH(s, states)
                n += strlen(*s) + 2;
        char *joined = malloc(n + 1), *p = joined;
        if (!joined)
                return -ENOMEM;
        *p = 0;
        STRV_FOREACH(s, states)
                p = stpcpy(stpcpy(p, s == states ? "" : ", "), *s);
        *ret_states = joined;
        return 0;
}

static int ntp_condition_eval(Context *c, const void *args, char **ret_error) {
        const NtpArgs *a = args;
        int r;

        (void) ret_error;
        if (c->offline || !c->bus || !kernel_is_nodes(c))
                return 0;
        if (a->synchronized >= 0) {
                _cleanup_free_ char *error = NULL;
                bool synchronized;
                if (systemd_bus_ntp_synchronized(c->bus, &synchronized, &error) < 0)
                        return 0;   /* no timedated: nothing to judge, no finding */
                if (synchronized != (bool) a->synchronized)
                        return 0;
                return strv_extend(&c->evidence, synchronized ? "systemd-timedated: NTPSynchronized=yes"
                                                              : "systemd-timedated: NTPSynchronized=no: the clock is not synchronised") < 0
                               ? -ENOMEM : 1;
        }
        _cleanup_free_ char *running = NULL, *states = NULL;
        if ((r = ntp_service_running(c, &running, &states)) < 0)
                return r;
        if (r != a->service)
                return 0;
        char *line = NULL;
        if ((r ? asprintf(&line, "the time service %s runs", running)
               : asprintf(&line, "no time service runs: %s", states)) < 0)
                return -ENOMEM;
        return strv_consume(&c->evidence, line) < 0 ? -ENOMEM : 1;
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { (time_t) (usec / USEC_PER_SEC), (long) (usec % USEC_PER_SEC) * 1000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int ntp_check_run(Context *c, const void *args, char **ret_evidence) {
        const NtpArgs *a = args;
        int r;

        *ret_evidence = NULL;
        if (c->offline || !c->bus) {
                r = evidence_printf(ret_evidence, "the clock's synchronisation: not checked offline (--root): it is the "
                                    "running node's");
                return r < 0 ? r : -EOPNOTSUPP;
        }
        if (!kernel_is_nodes(c)) {
                r = evidence_printf(ret_evidence, "the clock's synchronisation: not checked in a container: its clock is "
                                    "the host's");
                return r < 0 ? r : -EOPNOTSUPP;
        }
        if (a->service > 0) {
                _cleanup_free_ char *running = NULL, *states = NULL;
                if ((r = ntp_service_running(c, &running, &states)) < 0)
                        return r;
                if (r > 0)
                        return 1;
                r = evidence_printf(ret_evidence, "no time service runs: %s", states);
                return r < 0 ? r : 0;
        }

        uint64_t start = now_monotonic_usec();
        for (;;) {
                _cleanup_free_ char *error = NULL;
                bool synchronized = false;
                if ((r = systemd_bus_ntp_synchronized(c->bus, &synchronized, &error)) < 0) {
                        r = evidence_printf(ret_evidence, "%s", error ? error : strerror(-r));
                        return r < 0 ? r : -EOPNOTSUPP;
                }
                if (synchronized)
                        return 1;
                uint64_t elapsed = now_monotonic_usec() - start;
                if (elapsed >= a->within_usec) {
                        r = evidence_printf(ret_evidence,
                                            "not synchronised: systemd-timedated's NTPSynchronized is still no%s%s: no time "
                                            "source has answered (is one reachable? timedatectl timesync-status, or chronyc "
                                            "sources)", a->within_text ? " after " : "", strempty(a->within_text));
                        return r < 0 ? r : 0;
                }
                sleep_usec(MIN(NTP_POLL_USEC, a->within_usec - elapsed));
        }
}

const ConditionType condition_ntp = {
        .key = "ntp",
        .parse = ntp_condition_parse,
        .eval = ntp_condition_eval,
        .free_args = ntp_args_free,
};

const CheckType check_ntp = {
        .key = "ntp",
        .parse = ntp_check_parse,
        .run = ntp_check_run,
        .free_args = ntp_args_free,
        .state = true,
};
