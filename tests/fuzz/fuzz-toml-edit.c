/* SPDX-License-Identifier: MIT */
/*
 * The TOML editor (toml++ positions, spliced edits) on arbitrary bytes as a containerd config:
 * each table and key below is read and set, as the shipped playbooks set them, and the table
 * named in the file's first line too, so that the fuzzer reaches the table name parser. What
 * toml-edit.h promises is checked: an edit is refused, or gives valid TOML that reads back the
 * new value, and setting the same value again is no change.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/toml-edit.h"

#define CRI_V2 "plugins.\"io.containerd.grpc.v1.cri\""

static const struct {
        const char *table, *key;
        EditValue value;
} edits[] = {
        { "", "version", { EDIT_VALUE_INT, "2" } },
        { CRI_V2, "sandbox_image", { EDIT_VALUE_STRING, "registry.k8s.io/pause:3.10" } },
        { CRI_V2 ".containerd.runtimes.runc.options", "SystemdCgroup", { EDIT_VALUE_BOOL, "true" } },
        { "plugins.'io.containerd.cri.v1.runtime'.cni", "conf_dir", { EDIT_VALUE_STRING, "C:\\dir\n\"quoted\"" } },
        { "a.\"b.c\"", "key with space", { EDIT_VALUE_STRING, "'" } },
};

static void check_edit(const char *data, size_t size, const char *table, const char *key, const EditValue *v) {
        _cleanup_free_ char *got = NULL, *out = NULL, *again = NULL, *readback = NULL;
        _cleanup_free_ char *error = NULL, *error2 = NULL, *error3 = NULL, *error4 = NULL, *error5 = NULL;
        size_t out_size = 0;
        int r;

        (void) toml_edit_get_key(data, size, table, key, &got, &error);

        r = toml_edit_set(data, size, table, key, v, &out, &out_size, &error2);
        if (r <= 0) {
                fuzz_check(!out, "set [%s] %s: no output (%d)", table, key, r);
                return;
        }
        fuzz_check(out && out_size == strlen(out), "set [%s] %s: output of %zu bytes is a string", table, key, out_size);
        r = toml_edit_check(out, out_size, &error3);
        fuzz_check(r == 0, "set [%s] %s: the edited file is TOML (%s)\n%s", table, key, strempty(error3), out);

        r = toml_edit_get_key(out, out_size, table, key, &readback, &error4);
        fuzz_check(r == 1, "set [%s] %s: the edited file has it (%d %s)\n%s", table, key, r, strempty(error4), out);
        fuzz_check(streq(readback, v->text), "set [%s] %s: reads back \"%s\", not \"%s\"\n%s", table, key, readback,
                   v->text, out);

        r = toml_edit_set(out, out_size, table, key, v, &again, NULL, &error5);
        fuzz_check(r == 0 && !again, "set [%s] %s again: %d (%s), not \"already so\"\n%s", table, key, r,
                   strempty(error5), out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        const char *nl = memchr(data, '\n', size);
        _cleanup_free_ char *first = fuzz_strndup(data, nl ? (size_t) (nl - text) : size);
        _cleanup_free_ char *error = NULL, *table_error = NULL, *version = NULL, *version_error = NULL;

        if (toml_edit_check(text, size, &error) < 0) {
                fuzz_check(error, "invalid TOML comes with a reason");
                /* The editors must refuse it too, without crashing: one edit is enough. */
                check_edit(text, size, edits[1].table, edits[1].key, &edits[1].value);
                return 0;
        }
        (void) toml_edit_get(text, size, "version", &version, &version_error);

        for (size_t i = 0; i < ELEMENTSOF(edits); i++)
                check_edit(text, size, edits[i].table, edits[i].key, &edits[i].value);

        /* "[x.y]" or "x.y" in the first line: that table's key "fuzz". */
        const char *table = first[0] == '[' ? first + 1 : first;
        char *close = strrchr(table, ']');
        if (close)
                *close = 0;
        if (strlen(table) < 200 && toml_edit_check_table(table, &table_error) >= 0)
                check_edit(text, size, table, "fuzz", &(EditValue) { EDIT_VALUE_STRING, "x" });
        return 0;
}
