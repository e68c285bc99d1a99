/* SPDX-License-Identifier: MIT */
/*
 * The YAML editor on arbitrary bytes as a kubelet config file: each key path below is read and
 * set (a string, a bool, an int; at the top, nested, with a quoted dotted key, and the key path
 * in the file's first line, so that the fuzzer reaches the key path parser too). What
 * yaml-edit.h promises is checked: an edit is refused or gives a file that reads back the new
 * value, and setting the same value again is no change.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/yaml-edit.h"

static const struct {
        const char *keypath;
        EditValue value;
} edits[] = {
        { "cgroupDriver", { EDIT_VALUE_STRING, "systemd" } },
        { "failSwapOn", { EDIT_VALUE_BOOL, "false" } },
        { "memorySwap.swapBehavior", { EDIT_VALUE_STRING, "Limited Swap: yes" } },
        { "evictionHard.\"nodefs.available\"", { EDIT_VALUE_STRING, "10%" } },
        { "a.b.c", { EDIT_VALUE_INT, "-42" } },
        { "apiVersion", { EDIT_VALUE_STRING, "" } },
};

static void check_edit(const char *data, size_t size, const char *keypath, const EditValue *v) {
        _cleanup_free_ char *got = NULL, *out = NULL, *again = NULL, *readback = NULL;
        _cleanup_free_ char *error = NULL, *error2 = NULL, *error3 = NULL, *error4 = NULL;
        size_t out_size = 0, again_size = 0;
        int r;

        r = yaml_edit_get(data, size, keypath, &got, &error);
        fuzz_check(r < 0 || !error, "get %s: no error on success (%s)", keypath, error);

        r = yaml_edit_set(data, size, keypath, v, &out, &out_size, &error2);
        if (r < 0) {
                fuzz_check(!out, "set %s: no output on failure", keypath);
                return;
        }
        if (r == 0) {
                fuzz_check(!out, "set %s: no output when already so", keypath);
                return;
        }
        fuzz_check(out && out_size == strlen(out), "set %s: output of %zu bytes is a string", keypath, out_size);

        /* The new file holds the value... */
        r = yaml_edit_get(out, out_size, keypath, &readback, &error3);
        fuzz_check(r == 1, "set %s: the edited file has it (%d %s)\n%s", keypath, r, strempty(error3), out);
        fuzz_check(streq(readback, v->text), "set %s: reads back \"%s\", not \"%s\"\n%s", keypath, readback, v->text,
                   out);
        /* ...and setting it again is no change. */
        r = yaml_edit_set(out, out_size, keypath, v, &again, &again_size, &error4);
        fuzz_check(r == 0 && !again, "set %s again: %d (%s), not \"already so\"\n%s", keypath, r, strempty(error4), out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        const char *nl = memchr(data, '\n', size);
        _cleanup_free_ char *first = fuzz_strndup(data, nl ? (size_t) (nl - text) : size);

        for (size_t i = 0; i < ELEMENTSOF(edits); i++)
                check_edit(text, size, edits[i].keypath, &edits[i].value);

        /* The first line as a key path, when it is one (most YAML lines are not: "a: b" has a space
         * but no dot, and is a key path of one key). */
        if (strlen(first) < 200 && yaml_edit_keypath_check(first) >= 0)
                check_edit(text, size, first, &(EditValue) { EDIT_VALUE_STRING, "x" });
        return 0;
}
