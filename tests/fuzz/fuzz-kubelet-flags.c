/* SPDX-License-Identifier: MIT */
/*
 * The kubelet-flags editor on arbitrary bytes as /var/lib/kubelet/kubeadm-flags.env or
 * /etc/default/kubelet: the flags are parsed with and without a flag set, then removed as the
 * shipped playbooks remove them (named flags; and every flag kubelet 1.33 lacks). What
 * kubelet-flags.h promises is checked: every flag lies inside the file; a removal gives a file
 * that parses and no longer has those flags, and removing them again is no change.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/kubelet-flags.h"
#include "remedy/strv.h"

extern const char kubelet_flags_data[];
extern const size_t kubelet_flags_data_size;

static KubeletFlagSet *known;

static const char * const variables[] = { "KUBELET_KUBEADM_ARGS", "KUBELET_EXTRA_ARGS" };

static void check_parse(const char *data, size_t size, const char *variable, const KubeletFlagSet *set) {
        _cleanup_free_ char *error = NULL;
        KubeletFlag *f = NULL;
        size_t n = 0;

        if (kubelet_flags_parse(data, size, variable, set, &f, &n, &error) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                fuzz_check(f[i].name && f[i].start < f[i].end && f[i].end <= size && f[i].line >= 1,
                           "%s flag %zu: [%zu, %zu) in a file of %zu", variable, i, f[i].start, f[i].end, size);
        kubelet_flags_free(f, n);
}

static bool has_flag(const char *data, size_t size, const char *variable, char * const *names, bool unknown) {
        KubeletFlag *f = NULL;
        size_t n = 0;
        bool found = false;

        fuzz_check(kubelet_flags_parse(data, size, variable, known, &f, &n, NULL) >= 0, "the edited file parses");
        for (size_t i = 0; i < n; i++)
                if (strv_contains(names, f[i].name) || (unknown && !kubelet_flag_set_has(known, f[i].name)))
                        found = true;
        kubelet_flags_free(f, n);
        return found;
}

static void check_edit(const char *data, size_t size, const char *variable, char * const *remove, bool unknown) {
        _cleanup_free_ char *out = NULL, *again = NULL, *error = NULL, *error2 = NULL;
        _cleanup_strv_free_ char **removed = NULL, **removed2 = NULL;
        size_t out_size = 0, again_size = 0;
        int r;

        r = kubelet_flags_edit(data, size, variable, remove, known, unknown, &out, &out_size, &removed, &error);
        if (r <= 0) {
                fuzz_check(!out, "%s: no output (%d)", variable, r);
                return;
        }
        fuzz_check(out && out_size < size, "%s: a removal makes the file shorter", variable);
        fuzz_check(removed && removed[0], "%s: a removal names what it removed", variable);
        fuzz_check(!has_flag(out, out_size, variable, remove, unknown), "%s: removed flags are gone\n%s", variable, out);

        r = kubelet_flags_edit(out, out_size, variable, remove, known, unknown, &again, &again_size, &removed2, &error2);
        fuzz_check(r == 0 && !again, "%s: removing again is no change (%d %s)\n%s", variable, r, strempty(error2), out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *remove[] = { (char *) "cgroup-driver", (char *) "network-plugin", (char *) "fail-swap-on", NULL };
        const char *text = (const char *) data;

        if (!known && kubelet_flag_set_from_data(kubelet_flags_data, kubelet_flags_data_size, "1.33", &known, NULL) < 0)
                abort();

        for (size_t i = 0; i < ELEMENTSOF(variables); i++) {
                check_parse(text, size, variables[i], NULL);
                check_parse(text, size, variables[i], known);
                check_edit(text, size, variables[i], remove, false);
                check_edit(text, size, variables[i], remove, true);
        }
        return 0;
}
