/* SPDX-License-Identifier: MIT */
/*
 * toml-edit: byte-exact results written by hand, and containerd itself as the judge of the
 * effective configuration (`containerd --config FILE config dump` before and after each edit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit-test-text.h"
#include "remedy/macro.h"
#include "remedy/toml-edit.h"
#include "tap.h"
#include "test-util.h"

#define CRI_V2 "plugins.\"io.containerd.grpc.v1.cri\""
#define RUNC_V2 CRI_V2 ".containerd.runtimes.runc"
#define RUNTIME_V3 "plugins.'io.containerd.cri.v1.runtime'"
#define RUNC_V3 RUNTIME_V3 ".containerd.runtimes.runc"

static char *tmpdir;

static int set(const char *data, const char *table, const char *key, EditValueType type, const char *text,
               char **ret, char **ret_error) {
        EditValue v = {.type = type, .text = text};
        *ret = NULL;
        *ret_error = NULL;
        return toml_edit_set(data, strlen(data), table, key, &v, ret, NULL, ret_error);
}

/* Edits and compares the result with want (NULL: expects "already so"). */
static void check_set(const char *what, const char *data, const char *table, const char *key, EditValueType type,
                      const char *text, const char *want) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        int r = set(data, table, key, type, text, &out, &err);
        if (!is_int(r, want ? 1 : 0, "%s: result", what))
                diag("error: %s", strempty(err));
        if (want)
                is_str(out, want, "%s: bytes", what);
        else
                ok(!out, "%s: no new data when already so", what);
}

static void check_refused(const char *what, const char *data, const char *table, const char *key,
                          EditValueType type, const char *text, int want_error, const char *want_message) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        int r = set(data, table, key, type, text, &out, &err);
        is_int(r, want_error, "%s: refused", what);
        ok(!out, "%s: no output", what);
        is_str(err, want_message, "%s: message", what);
}

static char *get(const char *data, const char *keypath) {
        char *v = NULL, *err = NULL;
        int r = toml_edit_get(data, strlen(data), keypath, &v, &err);
        if (r < 0)
                diag("toml_edit_get %s: %d %s", keypath, r, strempty(err));
        free(err);
        return v;
}

static char *containerd_dump(const char *data) {
        _cleanup_free_ char *path = NULL, *err = NULL;
        if (asprintf(&path, "%s/config.toml", tmpdir) < 0)
                abort();
        write_file(path, data, strlen(data));
        char *argv[] = {(char *) "containerd", (char *) "--config", path, (char *) "config", (char *) "dump", NULL};
        char *out = NULL;
        int r = run_capture(argv, &out, &err);
        if (!ok(r == 0, "containerd config dump exits 0"))
                diag("%s", strempty(err));
        return out;
}

typedef struct Lines {
        char **v;
        size_t n;
} Lines;

static Lines split_lines(const char *s) {
        Lines l = {};
        for (const char *p = s; *p;) {
                const char *e = strchrnul(p, '\n');
                l.v = realloc(l.v, (l.n + 1) * sizeof(char *));
                if (!l.v || !(l.v[l.n++] = strndup(p, (size_t) (e - p))))
                        abort();
                p = *e ? e + 1 : e;
        }
        return l;
}

static void lines_free(Lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
}

static const char *skip_blanks(const char *s) {
        return s + strspn(s, " \t");
}

/*
 * The dumps differ in one region only: before's lines there are removed (NULL-terminated,
 * compared without indentation), after's are added. Everything else is identical.
 */
static bool dumps_differ_by(const char *before, const char *after, const char * const *removed,
                            const char * const *added) {
        Lines b = split_lines(before), a = split_lines(after);
        size_t head = 0, tail = 0, n_removed = 0, n_added = 0;
        bool good = true;

        while (removed && removed[n_removed])
                n_removed++;
        while (added && added[n_added])
                n_added++;
        while (head < b.n && head < a.n && streq(b.v[head], a.v[head]))
                head++;
        while (tail < b.n - head && tail < a.n - head && streq(b.v[b.n - 1 - tail], a.v[a.n - 1 - tail]))
                tail++;
        if (b.n - head - tail != n_removed || a.n - head - tail != n_added)
                good = false;
        for (size_t i = 0; good && i < n_removed; i++)
                good = streq(skip_blanks(b.v[head + i]), removed[i]);
        for (size_t i = 0; good && i < n_added; i++)
                good = streq(skip_blanks(a.v[head + i]), added[i]);
        if (!good) {
                diag("dumps differ in lines %zu..%zu (before) / %zu..%zu (after):", head + 1, b.n - tail, head + 1,
                     a.n - tail);
                for (size_t i = head; i < b.n - tail; i++)
                        diag("- %s", b.v[i]);
                for (size_t i = head; i < a.n - tail; i++)
                        diag("+ %s", a.v[i]);
        }
        lines_free(&b);
        lines_free(&a);
        return good;
}

/*
 * Edits a containerd config, then lets containerd judge: the effective configuration changes
 * by exactly the old line becoming the new one, and the dump reads back the wanted value.
 */
static void check_containerd(const char *what, const char *input, const char *table, const char *key,
                             EditValueType type, const char *text, const char *old_line, const char *new_line) {
        _cleanup_free_ char *out = NULL, *err = NULL, *before = NULL, *after = NULL, *keypath = NULL,
                            *effective = NULL;
        int r = set(input, table, key, type, text, &out, &err);
        if (!is_int(r, 1, "%s: changed", what)) {
                diag("error: %s", strempty(err));
                return;
        }
        before = containerd_dump(input);
        after = containerd_dump(out);
        if (!before || !after)
                return;
        ok(dumps_differ_by(before, after, (const char *[]) {old_line, NULL}, (const char *[]) {new_line, NULL}),
           "%s: containerd sees only \"%s\" -> \"%s\"", what, old_line ? old_line : "(absent)", new_line);
        if (asprintf(&keypath, "%s.%s", table, key) < 0)
                abort();
        effective = get(after, keypath);
        is_str(effective, text, "%s: effective value in the dump", what);

        /* and once more is no change */
        _cleanup_free_ char *again = NULL, *err2 = NULL;
        is_int(set(out, table, key, type, text, &again, &err2), 0, "%s: idempotent", what);
}

static void test_containerd_default(void) {
        _cleanup_free_ char *def = read_fixture("containerd/default-1.6.toml", NULL);
        _cleanup_free_ char *want = replaced(def, "SystemdCgroup = false", "SystemdCgroup = true");

        check_set("1.6 default: SystemdCgroup", def, RUNC_V2 ".options", "SystemdCgroup", EDIT_VALUE_BOOL, "true",
                  want);
        check_containerd("1.6 default: SystemdCgroup", def, RUNC_V2 ".options", "SystemdCgroup", EDIT_VALUE_BOOL,
                         "true", "SystemdCgroup = false", "SystemdCgroup = true");
        check_containerd("1.6 default: cni conf_dir", def, CRI_V2 ".cni", "conf_dir", EDIT_VALUE_STRING,
                         "/etc/cni/custom.d", "conf_dir = \"/etc/cni/net.d\"", "conf_dir = \"/etc/cni/custom.d\"");
        check_containerd("1.6 default: sandbox_image", def, CRI_V2, "sandbox_image", EDIT_VALUE_STRING,
                         "registry.k8s.io/pause:3.9", "sandbox_image = \"registry.k8s.io/pause:3.6\"",
                         "sandbox_image = \"registry.k8s.io/pause:3.9\"");
        check_set("1.6 default: already false", def, RUNC_V2 ".options", "SystemdCgroup", EDIT_VALUE_BOOL, "false",
                  NULL);

        /* As in containerd 2.0.0-2.0.6 defaults: the options table without SystemdCgroup. The key is
         * added after ShimCgroup with its siblings' indentation, which gives back the default with true. */
        _cleanup_free_ char *missing = replaced(def, "            SystemdCgroup = false\n", "");
        check_set("1.6 default without the key", missing, RUNC_V2 ".options", "SystemdCgroup", EDIT_VALUE_BOOL,
                  "true", want);
        check_containerd("1.6 default without the key", missing, RUNC_V2 ".options", "SystemdCgroup",
                         EDIT_VALUE_BOOL, "true", NULL, "SystemdCgroup = true");
}

static void test_debian(void) {
        _cleanup_free_ char *deb = read_fixture("containerd/debian-config.toml", NULL);

        check_containerd("debian: cni conf_dir", deb, CRI_V2 ".cni", "conf_dir", EDIT_VALUE_STRING,
                         "/etc/cni/custom.d", "conf_dir = \"/etc/cni/net.d\"", "conf_dir = \"/etc/cni/custom.d\"");

        /* the CRI table has a header but no keys: right after the header, one step deeper */
        check_set("debian: sandbox_image", deb, CRI_V2, "sandbox_image", EDIT_VALUE_STRING,
                  "registry.k8s.io/pause:3.9",
                  "version = 2\n"
                  "\n"
                  "[plugins]\n"
                  "  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
                  "    sandbox_image = \"registry.k8s.io/pause:3.9\"\n"
                  "    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
                  "      bin_dir = \"/usr/lib/cni\"\n"
                  "      conf_dir = \"/etc/cni/net.d\"\n"
                  "  [plugins.\"io.containerd.internal.v1.opt\"]\n"
                  "    path = \"/var/lib/containerd/opt\"\n");
        check_containerd("debian: sandbox_image", deb, CRI_V2, "sandbox_image", EDIT_VALUE_STRING,
                         "registry.k8s.io/pause:3.9", "sandbox_image = \"registry.k8s.io/pause:3.6\"",
                         "sandbox_image = \"registry.k8s.io/pause:3.9\"");

        /* no runtimes at all: the options table is added after the CRI plugin's last sub-table */
        const char *want_options =
                "version = 2\n"
                "\n"
                "[plugins]\n"
                "  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
                "    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
                "      bin_dir = \"/usr/lib/cni\"\n"
                "      conf_dir = \"/etc/cni/net.d\"\n"
                "\n"
                "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                "      SystemdCgroup = true\n"
                "  [plugins.\"io.containerd.internal.v1.opt\"]\n"
                "    path = \"/var/lib/containerd/opt\"\n";
        check_set("debian: SystemdCgroup, no options table", deb, RUNC_V2 ".options", "SystemdCgroup",
                  EDIT_VALUE_BOOL, "true", want_options);

        /*
         * containerd decodes runtimes as a map: a file that names runtimes.runc replaces the whole
         * default entry, so the options table alone loses runtime_type. A playbook must set both;
         * containerd then shows SystemdCgroup = true and drops only the zero-valued default options.
         */
        _cleanup_free_ char *step1 = NULL, *step2 = NULL, *err = NULL, *before = NULL, *only_options = NULL,
                            *after = NULL;
        is_int(set(deb, RUNC_V2, "runtime_type", EDIT_VALUE_STRING, "io.containerd.runc.v2", &step1, &err), 1,
               "debian: runtime_type added");
        free(TAKE_PTR(err));
        is_int(set(step1, RUNC_V2 ".options", "SystemdCgroup", EDIT_VALUE_BOOL, "true", &step2, &err), 1,
               "debian: SystemdCgroup added");
        is_str(step2,
               "version = 2\n"
               "\n"
               "[plugins]\n"
               "  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
               "    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
               "      bin_dir = \"/usr/lib/cni\"\n"
               "      conf_dir = \"/etc/cni/net.d\"\n"
               "\n"
               "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
               "      runtime_type = \"io.containerd.runc.v2\"\n"
               "\n"
               "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
               "        SystemdCgroup = true\n"
               "  [plugins.\"io.containerd.internal.v1.opt\"]\n"
               "    path = \"/var/lib/containerd/opt\"\n",
               "debian: runc and its options added as [tables] in the CRI block");
        before = containerd_dump(deb);
        only_options = containerd_dump(want_options);
        after = containerd_dump(step2);
        if (before && after && only_options) {
                static const char * const zero_options[] = {
                        "BinaryName = \"\"", "CriuImagePath = \"\"", "CriuPath = \"\"", "CriuWorkPath = \"\"",
                        "IoGid = 0", "IoUid = 0", "NoNewKeyring = false", "NoPivotRoot = false", "Root = \"\"",
                        "ShimCgroup = \"\"", "SystemdCgroup = false", NULL,
                };
                ok(dumps_differ_by(before, after, zero_options, (const char *[]) {"SystemdCgroup = true", NULL}),
                   "debian: containerd sees SystemdCgroup = true, runtime_type kept");
                ok(strstr(only_options, "runtime_type = \"\"\n\n          [plugins.\"io.containerd.grpc.v1.cri\"."
                                        "containerd.runtimes.runc.options]"),
                   "debian: (containerd) the options table alone empties runc's runtime_type");
        }
}

static void test_docker_stub(void) {
        _cleanup_free_ char *stub = read_fixture("containerd/docker-containerd-io.toml", NULL);
        _cleanup_free_ char *want = NULL, *before = NULL, *after = NULL, *v = NULL;

        /* No version key: a version 1 file, where the CRI plugin's table is plugins.cri. */
        if (asprintf(&want, "%s\n[plugins.cri.containerd.runtimes.runc.options]\nSystemdCgroup = true\n", stub) < 0)
                abort();
        check_set("docker stub: SystemdCgroup", stub, "plugins.cri.containerd.runtimes.runc.options",
                  "SystemdCgroup", EDIT_VALUE_BOOL, "true", want);
        v = get(want, "plugins.cri.containerd.runtimes.runc.options.SystemdCgroup");
        is_str(v, "true", "docker stub: value reads back");

        /* disabled_plugins = ["cri"]: containerd shows no CRI config either way, and nothing else moves */
        before = containerd_dump(stub);
        after = containerd_dump(want);
        if (before && after)
                ok(dumps_differ_by(before, after, NULL, NULL), "docker stub: effective config unchanged (cri disabled)");

        check_refused("docker stub: an array", stub, "", "disabled_plugins", EDIT_VALUE_STRING, "",
                      -EINVAL, "15:20: \"disabled_plugins\" is an array; only strings, booleans and integers can be set");
}

static void test_v3(void) {
        _cleanup_free_ char *v3 = read_fixture("containerd/config-v3-2.x.toml", NULL);
        static const char shim[] = "            ShimCgroup = ''\n";
        _cleanup_free_ char *want = replaced(v3, shim, "            ShimCgroup = ''\n            SystemdCgroup = true\n");

        /* containerd 1.6 cannot load version 3: hand-written bytes and read-back only */
        check_set("v3: SystemdCgroup missing", v3, RUNC_V3 ".options", "SystemdCgroup", EDIT_VALUE_BOOL, "true", want);
        /* the same table written with other quotes is the same table */
        check_set("v3: table name in double quotes", v3, "plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.runc.options",
                  "SystemdCgroup", EDIT_VALUE_BOOL, "true", want);
        _cleanup_free_ char *v = get(want, RUNC_V3 ".options.SystemdCgroup");
        is_str(v, "true", "v3: SystemdCgroup reads back");

        _cleanup_free_ char *want_sandbox = replaced(v3, "sandbox = 'registry.k8s.io/pause:3.10'",
                                                         "sandbox = 'registry.k8s.io/pause:3.9'");
        check_set("v3: pinned sandbox keeps 'literal' style", v3, "plugins.'io.containerd.cri.v1.images'.pinned_images",
                  "sandbox", EDIT_VALUE_STRING, "registry.k8s.io/pause:3.9", want_sandbox);
        _cleanup_free_ char *want_conf = replaced(v3, "conf_dir = '/etc/cni/net.d'", "conf_dir = '/etc/cni/custom.d'");
        check_set("v3: cni conf_dir", v3, RUNTIME_V3 ".cni", "conf_dir", EDIT_VALUE_STRING, "/etc/cni/custom.d",
                  want_conf);
        check_set("v3: typed compare, string already equal", v3, RUNTIME_V3 ".cni", "conf_dir", EDIT_VALUE_STRING,
                  "/etc/cni/net.d", NULL);

        /* the whole options table missing: added after runc's block, at the file's depth indentation */
        static const char options_block[] =
                "\n"
                "          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n"
                "            BinaryName = ''\n"
                "            CriuImagePath = ''\n"
                "            CriuWorkPath = ''\n"
                "            IoGid = 0\n"
                "            IoUid = 0\n"
                "            NoNewKeyring = false\n"
                "            Root = ''\n"
                "            ShimCgroup = ''\n";
        _cleanup_free_ char *no_options = replaced(v3, options_block, "");
        _cleanup_free_ char *want_options = replaced(
                no_options, "          io_type = ''\n",
                "          io_type = ''\n"
                "\n"
                "          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n"
                "            SystemdCgroup = true\n");
        check_set("v3: no options table", no_options, RUNC_V3 ".options", "SystemdCgroup", EDIT_VALUE_BOOL, "true",
                  want_options);
}

static void test_table_names(void) {
        static const char doc[] =
                "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
                "  snapshotter = \"overlayfs\"\n"
                "\n"
                "[other]\n";
        static const char want[] =
                "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
                "  snapshotter = \"overlayfs\"\n"
                "  default_runtime_name = \"runc\"\n"
                "\n"
                "[other]\n";
        check_set("quoted 'literal' table name", doc, "plugins.'io.containerd.grpc.v1.cri'.containerd",
                  "default_runtime_name", EDIT_VALUE_STRING, "runc", want);
        check_set("spaced table name", doc, " plugins . \"io.containerd.grpc.v1.cri\" . containerd ",
                  "default_runtime_name", EDIT_VALUE_STRING, "runc", want);
        check_set("bare vs quoted key", "[a.\"b\"]\nx = 1\n", "a.b", "x", EDIT_VALUE_INT, "2", "[a.\"b\"]\nx = 2\n");
        /* a table that exists only implicitly gets its own header, once, after its sub-table */
        check_set("implicit super-table", "[a.b.c]\nx = 1\n", "a.b", "y", EDIT_VALUE_INT, "1",
                  "[a.b.c]\nx = 1\n\n[a.b]\ny = 1\n");
        check_set("root key before the first table", "# comment\n[a]\nx = 1\n", "", "version", EDIT_VALUE_INT, "2",
                  "# comment\nversion = 2\n\n[a]\nx = 1\n");
        check_set("empty file", "", "a.'b.c'", "key with space", EDIT_VALUE_BOOL, "false",
                  "[a.'b.c']\n\"key with space\" = false\n");
}

static void test_bytes(void) {
        check_set("comment kept", "x = 1 # keep\ny = 2\n", "", "x", EDIT_VALUE_INT, "+42", "x = 42 # keep\ny = 2\n");
        check_set("codepoint columns", "[t]\n\"ключ\" = \"старое\" # комментарий\n", "t", "ключ", EDIT_VALUE_STRING,
                  "новое", "[t]\n\"ключ\" = \"новое\" # комментарий\n");
        check_set("escapes", "[t]\na = 'x'\n", "t", "a", EDIT_VALUE_STRING, "q\"b\\\n\x01",
                  "[t]\na = \"q\\\"b\\\\\\n\\u0001\"\n");
        check_set("literal kept for a backslash", "a = 'x'\n", "", "a", EDIT_VALUE_STRING, "C:\\path", "a = 'C:\\path'\n");
        check_set("literal impossible with a quote", "a = 'x'\n", "", "a", EDIT_VALUE_STRING, "it's",
                  "a = \"it's\"\n");
        check_set("string \"true\" becomes bool", "a = \"true\"\n", "", "a", EDIT_VALUE_BOOL, "true", "a = true\n");
        check_set("bool already equal", "a = true\n", "", "a", EDIT_VALUE_BOOL, "true", NULL);
        check_set("string \"true\" is not bool true", "a = true\n", "", "a", EDIT_VALUE_STRING, "true", "a = \"true\"\n");
        check_set("CRLF kept", "[t]\r\na = 1\r\n", "t", "b", EDIT_VALUE_INT, "2", "[t]\r\na = 1\r\nb = 2\r\n");
        check_set("no final newline", "[t]\na = 1", "t", "b", EDIT_VALUE_INT, "2", "[t]\na = 1\nb = 2\n");
        check_set("BOM", "\xEF\xBB\xBF" "a = 1\n", "", "a", EDIT_VALUE_INT, "2", "\xEF\xBB\xBF" "a = 2\n");
        check_set("multi-line array before", "[t]\nl = [\n  1,\n]\n[u]\n", "t", "k", EDIT_VALUE_INT, "1",
                  "[t]\nl = [\n  1,\n]\nk = 1\n[u]\n");
        check_set("inline table value replaced", "[a]\nb = { c = 1, d = 2 }\n", "a.b", "c", EDIT_VALUE_INT, "3",
                  "[a]\nb = { c = 3, d = 2 }\n");
        check_set("dotted-key value replaced", "[a]\nb.c = 1\n", "a.b", "c", EDIT_VALUE_INT, "5", "[a]\nb.c = 5\n");
}

static void test_refusals(void) {
        check_refused("invalid TOML", "a = \n", "", "a", EDIT_VALUE_INT, "1", -EBADMSG,
                      "1:5: Error while parsing key-value pair: expected value, saw '\\n'");
        check_refused("table defined twice", "[a]\n[a]\n", "a", "x", EDIT_VALUE_INT, "1", -EBADMSG,
                      "2:1: Error while parsing table header: cannot redefine existing table 'a'");
        check_refused("key is a table", "[a]\n[a.b]\nx = 1\n", "a", "b", EDIT_VALUE_INT, "1", -EINVAL,
                      "2:1: \"b\" is a table, not a value");
        check_refused("inline-table target", "[a]\nb = { c = 1 }\n", "a.b", "d", EDIT_VALUE_INT, "1", -EINVAL,
                      "2:5: \"a.b\" is an inline table; remedy only adds keys to [tables]");
        check_refused("table below an inline table", "[a]\nb = { c = 1 }\n", "a.b.e", "d", EDIT_VALUE_INT, "1",
                      -EINVAL, "2:5: \"a.b\" is an inline table; remedy only adds keys to [tables]");
        check_refused("dotted-key target", "[a]\nb.c = 1\n", "a.b", "d", EDIT_VALUE_INT, "1", -EINVAL,
                      "2:1: \"a.b\" is defined with dotted keys; remedy only adds keys to [tables]");
        check_refused("table through a value", "version = 2\n", "version.x", "y", EDIT_VALUE_INT, "1", -EINVAL,
                      "1:11: \"version\" is a value, not a table");
        check_refused("bad table name", "", "a..b", "x", EDIT_VALUE_INT, "1", -EINVAL,
                      "invalid table name \"a..b\": Error while parsing key: expected bare key starting character "
                      "or string delimiter, saw '.'");
        check_refused("two tables as a name", "", "a] [b", "x", EDIT_VALUE_INT, "1", -EINVAL,
                      "invalid table name \"a] [b\": Error while parsing table header: expected a comment or "
                      "whitespace, saw '['");
        check_refused("array of tables as a name", "", "[x]", "y", EDIT_VALUE_INT, "1", -EINVAL,
                      "invalid table name \"[x]\": not a single table name");
        check_refused("not an int", "a = 1\n", "", "a", EDIT_VALUE_INT, "1x", -EINVAL, "\"1x\" is not a valid int");
        check_refused("not a bool", "a = 1\n", "", "a", EDIT_VALUE_BOOL, "yes", -EINVAL, "\"yes\" is not a valid bool");
        check_refused("invalid UTF-8", "a = 1\n", "", "a", EDIT_VALUE_STRING, "\xff", -EINVAL,
                      "value is not valid UTF-8");

        _cleanup_free_ char *err = NULL;
        is_int(toml_edit_check_table(RUNC_V3 ".options", &err), 0, "check_table: a v3 name");
        is_int(toml_edit_check_table("a.", &err), -EINVAL, "check_table: a trailing dot");
}

static void test_get_check(void) {
        static const char doc[] = "version = 2\n[plugins.\"a.b\"]\nx = 'lit'\nf = 1.5\nl = [1, 2]\n";
        _cleanup_free_ char *version = get(doc, "version"), *x = get(doc, "plugins.'a.b'.x"),
                            *f = get(doc, "plugins.\"a.b\".f"), *missing = get(doc, "plugins.nope");
        is_str(version, "2", "get: integer");
        is_str(x, "lit", "get: string unquoted, key quoted the other way");
        is_str(f, "1.5", "get: float in TOML syntax");
        ok(!missing, "get: missing is NULL");

        char *v = NULL, *err = NULL;
        is_int(toml_edit_get(doc, strlen(doc), "plugins.nope", &v, &err), 0, "get: missing returns 0");
        is_int(toml_edit_get(doc, strlen(doc), "x = 1 #", &v, &err), -EINVAL, "get: not a key path");
        free(err);
        err = NULL;
        is_int(toml_edit_check(doc, strlen(doc), &err), 0, "check: valid");
        is_int(toml_edit_check("[a\n", 3, &err), -EBADMSG, "check: invalid");
        ok(err && startswith(err, "1:3: "), "check: LINE:COLUMN: reason (%s)", strempty(err));
        free(err);
}

static void check_remove(const char *what, const char *data, const char *table, const char *key, const char *want) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        char *values[] = { (char *) "cri", (char *) "io.containerd.grpc.v1.cri", NULL };
        int r = toml_edit_array_remove(data, strlen(data), table, key, values, &out, NULL, &err);
        if (!is_int(r, want ? 1 : 0, "%s: result", what))
                diag("error: %s", strempty(err));
        if (want)
                is_str(out, want, "%s: bytes", what);
        else
                ok(!out, "%s: no new data when nothing to remove", what);
}

/* disabled_plugins: the CRI plugin's ids go, every other byte stays; containerd judges the stub. */
static void test_array_remove(void) {
        _cleanup_free_ char *stub = read_fixture("containerd/docker-containerd-io.toml", NULL);
        _cleanup_free_ char *want = strdup(stub), *out = NULL, *err = NULL, *after = NULL;
        char *values[] = { (char *) "cri", NULL };
        char *p = want ? strstr(want, "disabled_plugins = [\"cri\"]") : NULL;

        if (!ok(p != NULL, "array remove: the docker stub has disabled_plugins = [\"cri\"]"))
                return;
        memmove(p + strlen("disabled_plugins = ["), p + strlen("disabled_plugins = [\"cri\""),
                strlen(p + strlen("disabled_plugins = [\"cri\"")) + 1);
        check_remove("docker stub", stub, "", "disabled_plugins", want);
        is_int(toml_edit_array_remove(stub, strlen(stub), "", "disabled_plugins", values, &out, NULL, &err), 1,
               "docker stub: removed");
        after = out ? containerd_dump(out) : NULL;
        if (after)
                ok(strstr(after, "disabled_plugins = []") && strstr(after, "[plugins.\"io.containerd.grpc.v1.cri\"]"),
                   "docker stub: containerd's dump has no disabled plugin and a CRI plugin config");
        check_remove("docker stub fixed: idempotent", want, "", "disabled_plugins", NULL);

        check_remove("first of three", "disabled_plugins = [\"cri\", \"a\", \"b\"] # x\n", "", "disabled_plugins",
                     "disabled_plugins = [\"a\", \"b\"] # x\n");
        check_remove("middle", "disabled_plugins = ['a', \"io.containerd.grpc.v1.cri\", 'b']\n", "", "disabled_plugins",
                     "disabled_plugins = ['a', 'b']\n");
        check_remove("last", "disabled_plugins = [\"a\", \"cri\"]\n", "", "disabled_plugins", "disabled_plugins = [\"a\"]\n");
        check_remove("last two, trailing comma", "disabled_plugins = [\"a\", \"cri\", 'io.containerd.grpc.v1.cri',]\n", "",
                     "disabled_plugins", "disabled_plugins = [\"a\",]\n");
        check_remove("only, trailing comma", "disabled_plugins = [ \"cri\" , ]\n", "", "disabled_plugins",
                     "disabled_plugins = [  ]\n");
        check_remove("one a line, comments kept",
                     "version = 2\ndisabled_plugins = [\n  # the CRI\n  \"io.containerd.grpc.v1.cri\",\n  # snapshotters\n"
                     "  \"io.containerd.snapshotter.v1.btrfs\",\n]\n",
                     "", "disabled_plugins",
                     "version = 2\ndisabled_plugins = [\n  # the CRI\n  \"io.containerd.snapshotter.v1.btrfs\",\n]\n");
        check_remove("nothing to remove", "disabled_plugins = [\"a\"]\n", "", "disabled_plugins", NULL);
        check_remove("no key", "version = 2\n", "", "disabled_plugins", NULL);
        check_remove("in a table", "[x]\nd = [1, \"cri\"]\n", "x", "d", "[x]\nd = [1]\n");

        _cleanup_free_ char *out2 = NULL, *err2 = NULL;
        is_int(toml_edit_array_remove("disabled_plugins = \"cri\"\n", 25, "", "disabled_plugins", values, &out2, NULL, &err2),
               -EINVAL, "not an array: refused");
        is_str(err2, "1:20: \"disabled_plugins\" is not an array", "not an array: message");
}

int main(void) {
        ok(program_exists("containerd"), "containerd is installed (the judge of the effective config)");
        tmpdir = make_temp_dir("toml-edit");

        test_containerd_default();
        test_debian();
        test_docker_stub();
        test_v3();
        test_table_names();
        test_bytes();
        test_refusals();
        test_get_check();
        test_array_remove();

        rm_rf(tmpdir);
        free(tmpdir);
        return tap_done();
}
