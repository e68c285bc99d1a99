/* SPDX-License-Identifier: MIT */
#include "remedy/systemd-bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "remedy/strv.h"
#include "systemd-bus-internal.h"

/* The bus error's message is the most precise text there is ("Unit foo.service not found."). */
int systemd_bus_fail(char **ret_error, int r, const sd_bus_error *e, const char *fmt, ...) {
        _cleanup_free_ char *prefix = NULL;
        va_list ap;

        if (r >= 0)
                r = -EIO;
        if (!ret_error)
                return r;
        va_start(ap, fmt);
        int k = vasprintf(&prefix, fmt, ap);
        va_end(ap);
        if (k < 0) {
                prefix = NULL;
                return -ENOMEM;
        }
        const char *reason = e && sd_bus_error_is_set(e) && e->message ? e->message : strerror(-r);
        if (asprintf(ret_error, "%s: %s", prefix, reason) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return r;
}

int systemd_bus_fail_text(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return r;
        va_start(ap, fmt);
        int k = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return r;
}

SystemdBus *systemd_bus_free(SystemdBus *b) {
        if (!b)
                return NULL;
        sd_bus_flush_close_unref(b->bus);
        free(b->machine);
        free(b->description);
        free(b);
        return NULL;
}

const char *systemd_bus_describe(const SystemdBus *b) {
        return b && b->description ? b->description : "the system bus";
}

static int connect_scope(BusScope scope, const char *machine, sd_bus **ret) {
        switch (scope) {
        case BUS_SCOPE_SYSTEM:
                return sd_bus_open_system(ret);
        case BUS_SCOPE_USER:
                return sd_bus_open_user(ret);
        case BUS_SCOPE_MACHINE:
                return sd_bus_open_system_machine(ret, machine);
        default:
                return -EINVAL;
        }
}

int systemd_bus_open(BusScope scope, const char *machine, SystemdBus **ret, char **ret_error) {
        _cleanup_(systemd_bus_freep) SystemdBus *b = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *version = NULL;
        int r;

        if (scope == BUS_SCOPE_MACHINE && (!machine || !*machine))
                return systemd_bus_fail_text(ret_error, -EINVAL, "no machine name given for its system bus");
        if ((unsigned) scope > BUS_SCOPE_MACHINE || !ret)
                return -EINVAL;

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->scope = scope;
        if (scope == BUS_SCOPE_MACHINE) {
                b->machine = strdup(machine);
                if (!b->machine || asprintf(&b->description, "machine %s's system bus", machine) < 0) {
                        b->description = NULL;
                        return -ENOMEM;
                }
        } else {
                b->description = strdup(scope == BUS_SCOPE_USER ? "the user bus" : "the system bus");
                if (!b->description)
                        return -ENOMEM;
        }

        r = connect_scope(scope, machine, &b->bus);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, NULL, "cannot reach systemd on %s", b->description);
        r = sd_bus_set_method_call_timeout(b->bus, BUS_CALL_TIMEOUT_USEC);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, NULL, "cannot set up %s", b->description);

        /* The connection alone proves little: a bus without systemd on it, or one whose broker is
         * wedged, fails here rather than halfway through a transaction. */
        r = sd_bus_get_property_string(b->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "Version", &error,
                                       &version);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "cannot reach systemd on %s", b->description);

        *ret = TAKE_PTR(b);
        return 0;
}

void unit_state_done(UnitState *s) {
        if (!s)
                return;
        free(s->load_state);
        free(s->active_state);
        free(s->sub_state);
        free(s->unit_file_state);
        free(s->invocation_id);
        free(s->following);
        free(s->result);
        *s = (UnitState) {};
}

/* One property to pick out of a GetAll reply. type is the D-Bus signature it must have; "ay" is
 * read as a 128-bit ID into hex. */
typedef struct PropertyMap {
        const char *name;
        const char *type;
        void *dest;
} PropertyMap;

static int read_id128_hex(sd_bus_message *m, char **dest) {
        const void *bytes;
        size_t n;
        int r;

        r = sd_bus_message_read_array(m, 'y', &bytes, &n);
        if (r < 0)
                return r;
        if (n != 0 && n != 16)
                return -EBADMSG;
        char *hex = malloc(n * 2 + 1);
        if (!hex)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *) bytes)[i]);
        hex[n * 2] = '\0';
        free(*dest);
        *dest = hex;
        return 0;
}

static int read_property_value(sd_bus_message *m, const PropertyMap *p) {
        int r;

        r = sd_bus_message_enter_container(m, 'v', p->type);
        if (r < 0)
                return r;
        if (streq(p->type, "ay"))
                r = read_id128_hex(m, p->dest);
        else if (streq(p->type, "s")) {
                const char *s;
                r = sd_bus_message_read_basic(m, 's', &s);
                if (r >= 0) {
                        char *copy = strdup(s);
                        if (!copy)
                                return -ENOMEM;
                        free(*(char **) p->dest);
                        *(char **) p->dest = copy;
                }
        } else if (streq(p->type, "b")) {
                int v;
                r = sd_bus_message_read_basic(m, 'b', &v);
                if (r >= 0)
                        *(bool *) p->dest = v;
        } else
                r = sd_bus_message_read_basic(m, p->type[0], p->dest);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int map_all_properties(SystemdBus *b, const char *path, const char *interface, const PropertyMap *map,
                              size_t n_map, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(b->bus, SYSTEMD_SERVICE, path, "org.freedesktop.DBus.Properties", "GetAll", error,
                               &reply, "s", interface);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const PropertyMap *p = NULL;
                const char *name;

                r = sd_bus_message_read_basic(reply, 's', &name);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_map && !p; i++)
                        if (streq(map[i].name, name))
                                p = &map[i];
                r = p ? read_property_value(reply, p) : sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

/* LoadUnit rather than GetUnit: it answers for units that are not loaded yet, and for units with
 * no unit file at all (LoadState "not-found"), as `systemctl show` does. */
int systemd_bus_unit_path(SystemdBus *b, const char *name, char **ret_path, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(b->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "LoadUnit", error, &reply,
                               "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(reply, 'o', &path);
        if (r < 0)
                return r;
        *ret_path = strdup(path);
        return *ret_path ? 0 : -ENOMEM;
}

static int fill_empty(char **s) {
        if (*s)
                return 0;
        *s = strdup("");
        return *s ? 0 : -ENOMEM;
}

int systemd_bus_get_unit_state(SystemdBus *b, const char *name, UnitState *ret, char **ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(unit_state_done) UnitState s = {};
        _cleanup_free_ char *path = NULL;
        int r;

        if (!b || !name || !ret)
                return -EINVAL;

        r = systemd_bus_unit_path(b, name, &path, &error);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "%s: cannot load the unit", name);

        const PropertyMap unit_map[] = {
                { "LoadState", "s", &s.load_state },
                { "ActiveState", "s", &s.active_state },
                { "SubState", "s", &s.sub_state },
                { "UnitFileState", "s", &s.unit_file_state },
                { "InvocationID", "ay", &s.invocation_id },
                { "ActiveEnterTimestamp", "t", &s.active_enter_usec },
                { "StateChangeTimestamp", "t", &s.state_change_usec },
                { "NeedDaemonReload", "b", &s.need_daemon_reload },
                { "Following", "s", &s.following },
        };
        r = map_all_properties(b, path, UNIT_INTERFACE, unit_map, ELEMENTSOF(unit_map), &error);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "%s: cannot read the unit's state", name);

        /* A not-found service still has the Service interface, with zeros. */
        if (endswith(name, ".service")) {
                const PropertyMap service_map[] = {
                        { "NRestarts", "u", &s.n_restarts },
                        { "MainPID", "u", &s.main_pid },
                        { "Result", "s", &s.result },
                        { "ExecMainCode", "i", &s.exec_main_code },
                        { "ExecMainStatus", "i", &s.exec_main_status },
                };
                r = map_all_properties(b, path, SERVICE_INTERFACE, service_map, ELEMENTSOF(service_map), &error);
                if (r < 0)
                        return systemd_bus_fail(ret_error, r, &error, "%s: cannot read the service's state", name);
        }

        if (fill_empty(&s.load_state) < 0 || fill_empty(&s.active_state) < 0 || fill_empty(&s.sub_state) < 0 ||
            fill_empty(&s.unit_file_state) < 0 || fill_empty(&s.invocation_id) < 0 || fill_empty(&s.following) < 0 ||
            fill_empty(&s.result) < 0)
                return -ENOMEM;
        *ret = s;
        s = (UnitState) {};
        return 0;
}

static const char *const unit_file_op_table[_UNIT_FILE_OP_MAX] = {
        [UNIT_FILE_OP_ENABLE] = "enable",
        [UNIT_FILE_OP_DISABLE] = "disable",
        [UNIT_FILE_OP_MASK] = "mask",
        [UNIT_FILE_OP_UNMASK] = "unmask",
};

const char *unit_file_op_name(UnitFileOp op) {
        return (unsigned) op < _UNIT_FILE_OP_MAX ? unit_file_op_table[op] : NULL;
}

/* One change of an a(sss) reply as systemctl words it (install_changes_dump()). */
static int format_change(const char *type, const char *path, const char *source, char **ret) {
        int k;

        if (streq(type, "symlink"))
                k = asprintf(ret, "Created symlink %s \u2192 %s.", path, source);
        else if (streq(type, "unlink"))
                k = asprintf(ret, "Removed \"%s\".", path);
        else if (streq(type, "is-masked"))
                k = asprintf(ret, "Unit %s is masked, ignoring.", path);
        else if (streq(type, "is-dangling"))
                k = asprintf(ret, "Unit %s is an alias to a unit that is not present, ignoring.", path);
        else if (streq(type, "destination not present") || streq(type, "destination-not-present"))
                k = asprintf(ret, "Unit %s is added as a dependency to a non-existent unit %s.", source, path);
        else if (streq(type, "auxiliary unit failed") || streq(type, "auxiliary-unit-failed"))
                k = asprintf(ret, "Failed to enable auxiliary unit %s, ignoring.", source);
        else
                k = asprintf(ret, "%s: %s%s%s", type, path, *source ? " \u2192 " : "", source);
        if (k < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int read_changes(sd_bus_message *reply, char **ret_changes) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        const char *type, *path, *source;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sss)", &type, &path, &source)) > 0) {
                _cleanup_free_ char *line = NULL;
                if (format_change(type, path, source, &line) < 0)
                        return -ENOMEM;
                size_t l = strlen(line);
                char *t = realloc(text, len + l + 2);
                if (!t)
                        return -ENOMEM;
                text = t;
                if (len > 0)
                        text[len++] = '\n';
                memcpy(text + len, line, l + 1);
                len += l;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        if (!text && !(text = strdup("")))
                return -ENOMEM;
        if (ret_changes)
                *ret_changes = TAKE_PTR(text);
        return 0;
}

int systemd_bus_unit_file_op(SystemdBus *b, UnitFileOp op, const char *name, char **ret_changes, char **ret_error) {
        static const char *const methods[_UNIT_FILE_OP_MAX] = {
                [UNIT_FILE_OP_ENABLE] = "EnableUnitFiles",
                [UNIT_FILE_OP_DISABLE] = "DisableUnitFiles",
                [UNIT_FILE_OP_MASK] = "MaskUnitFiles",
                [UNIT_FILE_OP_UNMASK] = "UnmaskUnitFiles",
        };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!b || !name || (unsigned) op >= _UNIT_FILE_OP_MAX)
                return -EINVAL;

        r = sd_bus_message_new_method_call(b->bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE,
                                           methods[op]);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(call, (char *[]) { (char *) name, NULL });
        if (r < 0)
                return r;
        /* runtime = false; enable and mask also take force = false: never replace a file. */
        if (op == UNIT_FILE_OP_ENABLE || op == UNIT_FILE_OP_MASK)
                r = sd_bus_message_append(call, "bb", 0, 0);
        else
                r = sd_bus_message_append(call, "b", 0);
        if (r < 0)
                return r;

        r = sd_bus_call(b->bus, call, 0, &error, &reply);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "%s: %s failed", name, unit_file_op_name(op));

        if (op == UNIT_FILE_OP_ENABLE) {
                int carries_install_info;
                r = sd_bus_message_read_basic(reply, 'b', &carries_install_info);
                if (r < 0)
                        return systemd_bus_fail(ret_error, r, NULL, "%s: %s: unexpected reply", name,
                                                unit_file_op_name(op));
        }
        r = read_changes(reply, ret_changes);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, NULL, "%s: %s: unexpected reply", name, unit_file_op_name(op));
        return 0;
}

int systemd_bus_daemon_reload(SystemdBus *b, char **ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!b)
                return -EINVAL;
        r = sd_bus_message_new_method_call(b->bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "Reload");
        if (r < 0)
                return r;
        r = sd_bus_call(b->bus, call, BUS_RELOAD_TIMEOUT_USEC, &error, NULL);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "daemon-reload on %s failed", systemd_bus_describe(b));
        return 0;
}

int systemd_bus_reset_failed(SystemdBus *b, const char *name, char **ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!b || !name)
                return -EINVAL;
        r = sd_bus_call_method(b->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "ResetFailedUnit", &error,
                               NULL, "s", name);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "%s: reset-failed failed", name);
        return 0;
}

int systemd_bus_list_units(SystemdBus *b, const char *pattern, char ***ret_names, char **ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **names = NULL;
        const char *name;
        int r;

        if (!b || !pattern || !ret_names)
                return -EINVAL;
        r = sd_bus_message_new_method_call(b->bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE,
                                           "ListUnitsByPatterns");
        if (r < 0)
                return r;
        /* No state filter: every loaded unit, as `systemctl list-units --all PATTERN`. */
        if ((r = sd_bus_message_append_strv(call, NULL)) < 0 ||
            (r = sd_bus_message_append(call, "as", 1, pattern)) < 0)
                return r;
        r = sd_bus_call(b->bus, call, BUS_CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return systemd_bus_fail(ret_error, r, &error, "listing %s on %s failed", pattern, systemd_bus_describe(b));
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                goto bad_reply;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL)) > 0)
                if (strv_extend(&names, name) < 0)
                        return -ENOMEM;
        if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0)
                goto bad_reply;
        strv_sort(names);
        *ret_names = TAKE_PTR(names);
        return 0;
bad_reply:
        return systemd_bus_fail(ret_error, r, NULL, "listing %s on %s: unexpected reply", pattern, systemd_bus_describe(b));
}

/* machined knows the container's leader (its PID 1 as seen from the host); the container's file
 * system is that process's root. */
int systemd_bus_root_directory(SystemdBus *b, char **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *host = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        uint32_t leader;
        int r;

        if (!b || !ret)
                return -EINVAL;
        if (b->scope != BUS_SCOPE_MACHINE) {
                *ret = strdup("/");
                return *ret ? 0 : -ENOMEM;
        }

        r = sd_bus_open_system(&host);
        if (r < 0)
                return r;
        (void) sd_bus_set_method_call_timeout(host, BUS_CALL_TIMEOUT_USEC);
        r = sd_bus_call_method(host, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                               "org.freedesktop.machine1.Manager", "GetMachine", &error, &reply, "s", b->machine);
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(reply, 'o', &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(host, "org.freedesktop.machine1", path, "org.freedesktop.machine1.Machine",
                                        "Leader", &error, 'u', &leader);
        if (r < 0)
                return r;
        if (leader == 0)
                return -ESRCH;
        return asprintf(ret, "/proc/%" PRIu32 "/root", leader) < 0 ? -ENOMEM : 0;
}
