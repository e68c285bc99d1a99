/* SPDX-License-Identifier: MIT */
/*
 * The kernel settings a transaction records (sysctl values, modules it loaded): they survive a
 * save and a load, a manifest without them (every older one) still loads, and a record whose
 * name could reach outside /proc/sys or is not a kind remedy writes is refused, naming its field.
 */
#include <stdlib.h>

#include "remedy/backup.h"
#include "tap.h"
#include "test-util.h"

#define UNITS_END "\"active_state\": \"active\" }\n  ]"

/* The good manifest (which has no kernel list) with `kernel` after its units. */
static char *good_with_kernel(const char *kernel) {
        _cleanup_free_ char *good = read_fixture("backups/manifest-good.json", NULL);
        char *at = strstr(good, UNITS_END);

        if (!at)
                abort();
        at += strlen(UNITS_END);
        return xasprintf("%.*s,\n  \"kernel\": %s%s", (int) (at - good), good, kernel, at);
}

static void test_round_trip(void) {
        _cleanup_free_ char *json = good_with_kernel(
                "[ { \"kind\": \"module\", \"name\": \"br_netfilter\", \"before\": \"absent\" },"
                "  { \"kind\": \"sysctl\", \"name\": \"net.ipv4.ip_forward\", \"before\": \"0\" },"
                "  { \"kind\": \"sysctl\", \"name\": \"net.bridge.bridge-nf-call-iptables\", \"before\": \"\" } ]");
        _cleanup_free_ char *error = NULL, *saved = NULL, *error2 = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL, *again = NULL;

        is_int(manifest_from_json(json, strlen(json), &m, &error), 0, "a manifest with kernel records loads");
        if (!m) {
                diag("%s", error);
                return;
        }
        is_int((int) m->n_kernel, 3, "three kernel records");
        is_str(m->kernel[0].kind, "module", "kind kept");
        is_str(m->kernel[1].name, "net.ipv4.ip_forward", "name kept");
        is_str(m->kernel[1].before, "0", "value before kept");
        is_str(m->kernel[2].before, "", "a setting that did not exist: empty before");
        is_int(manifest_to_json(m, &saved), 0, "and saves");
        is_int(manifest_from_json(saved, strlen(saved), &again, &error2), 0, "and loads again");
        ok(again && again->n_kernel == 3 && streq(again->kernel[0].before, "absent"), "with the same records");
}

static void test_without(void) {
        _cleanup_free_ char *good = read_fixture("backups/manifest-good.json", NULL), *error = NULL, *saved = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;

        is_int(manifest_from_json(good, strlen(good), &m, &error), 0, "a manifest without kernel records loads");
        ok(m && m->n_kernel == 0, "with none");
        is_int(m ? manifest_to_json(m, &saved) : -1, 0, "and saves");
        ok(saved && !strstr(saved, "\"kernel\""), "without a kernel list: as an older remedy wrote it");
}

static void test_bad(const char *kernel, const char *want) {
        _cleanup_free_ char *json = good_with_kernel(kernel), *error = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;

        is_int(manifest_from_json(json, strlen(json), &m, &error), -EBADMSG, "%s refused", kernel);
        is_str(error, want, "%s: reason", kernel);
        ok(!m, "%s: no manifest", kernel);
}

int main(void) {
        test_round_trip();
        test_without();
        test_bad("[ { \"kind\": \"sysctl\", \"name\": \"../../etc/shadow\", \"before\": \"x\" } ]",
                 "kernel[0].name: \"../../etc/shadow\" is not a kernel setting");
        test_bad("[ { \"kind\": \"sysctl\", \"name\": \"/etc/shadow\", \"before\": \"x\" } ]",
                 "kernel[0].name: \"/etc/shadow\" is not a kernel setting");
        test_bad("[ { \"kind\": \"module\", \"name\": \"a b\", \"before\": \"absent\" } ]",
                 "kernel[0].name: \"a b\" is not a kernel setting");
        test_bad("[ { \"kind\": \"file\", \"name\": \"x\", \"before\": \"\" } ]",
                 "kernel[0].kind: \"file\" is not sysctl or module");
        test_bad("[ { \"kind\": \"sysctl\", \"name\": \"x\" } ]", "kernel[0].before: missing");
        test_bad("{}", "kernel: expected array");
        return tap_done();
}
