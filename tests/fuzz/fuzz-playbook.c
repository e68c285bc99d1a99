/* SPDX-License-Identifier: MIT */
/*
 * The playbook loader (libyaml events into YamlNodes, then every action's, condition's and
 * check's parser) on arbitrary bytes as a playbook file. A playbook that loads must also give
 * its default parameter values, as `remedy show` and diagnose ask for them.
 */
#include "fuzz.h"
#include "remedy/playbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(playbook_freep) Playbook *p = NULL;
        _cleanup_(param_values_freep) ParamValues *v = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = playbook_load_data("fuzz.yaml", (const char *) data, size, &p, &error);
        if (r < 0) {
                fuzz_check(!p, "no playbook on failure");
                fuzz_check(error && *error, "failure %d comes with a reason", r);
                return 0;
        }
        fuzz_check(p && p->name, "a loaded playbook has a name");
        fuzz_check(param_values_defaults(p, &v) >= 0, "defaults of %s", p->name);
        for (size_t i = 0; i < p->n_params; i++)
                fuzz_check(playbook_find_param(p, p->params[i].name) == &p->params[i], "param %zu found", i);
        return 0;
}
