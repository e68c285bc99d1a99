/* SPDX-License-Identifier: MIT */
/*
 * Values written into a file's format (template-format.c): where each reference sits is found at
 * load, the value is encoded for that place or refused when rendering. Expected texts are written
 * out by hand from each format's rules; the tree test param-typing.sh reads the files back with
 * jq, tomllib, PyYAML, sh and systemd-analyze.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/playbook.h"
#include "tap.h"

static Param params[] = {
        { .name = (char *) "x", .type = PARAM_STRING, .mark = { .file = "p.yaml", .line = 3, .column = 3 } },
        { .name = (char *) "n", .type = PARAM_INT, .mark = { .file = "p.yaml", .line = 4, .column = 3 } },
};

/* text as a YAML double-quoted scalar, so that any template text can be given. */
static char *yaml_quote(const char *text) {
        char *out = malloc(strlen(text) * 2 + 16), *o = out;
        if (!out)
                abort();
        o = stpcpy(o, "t: \"");
        for (const char *p = text; *p; p++) {
                if (*p == '\n') {
                        o = stpcpy(o, "\\n");
                        continue;
                }
                if (*p == '"' || *p == '\\')
                        *o++ = '\\';
                *o++ = *p;
        }
        stpcpy(o, "\"\n");
        return out;
}

/* The document of the last template loaded: its marks point into it. */
static YamlDocument *doc;

/* Loads text as a template of format; NULL and the error in *ret_error when refused. */
static Template *load(TemplateFormat format, const char *text, char **ret_error) {
        char *y = yaml_quote(text), *yerr = NULL;
        Template *t = NULL;
        ParseContext pc = { .file = "t.yaml", .params = params, .n_params = ELEMENTSOF(params) };

        *ret_error = NULL;
        doc = yaml_document_free(doc);
        if (yaml_document_parse("t.yaml", y, strlen(y), &doc, &yerr) < 0)
                abort();
        if (template_parse_format(&pc, yaml_node_get(doc->root, "t"), TEMPLATE_MULTILINE, format, "the file content", &t) < 0)
                *ret_error = pc.error;
        else
                free(pc.error);
        free(y);
        free(yerr);
        return t;
}

/* Renders text (format) with x and n set; the output, or NULL and the error in *ret_error. */
static char *render(TemplateFormat format, const char *text, const char *x, const char *n, char **ret_error) {
        Playbook p = { .name = (char *) "p", .path = (char *) "p.yaml", .params = params, .n_params = ELEMENTSOF(params) };
        char *sx = NULL, *sn = NULL, *out = NULL;
        ParamValues *v = NULL;

        Template *t = load(format, text, ret_error);
        if (!t)
                return NULL;
        if (asprintf(&sx, "x=%s", x) < 0 || asprintf(&sn, "n=%s", n ?: "1") < 0)
                abort();
        char *sets[] = { sx, sn, NULL };
        if (param_values_new(&p, sets, &v, ret_error) < 0)
                abort();
        if (template_render(t, v, &out, ret_error) < 0)
                out = NULL;
        param_values_free(v);
        template_free(t);
        free(sx);
        free(sn);
        return out;
}

static void renders(TemplateFormat format, const char *text, const char *x, const char *n, const char *want) {
        char *error = NULL, *out = render(format, text, x, n, &error);
        if (!is_str(out, want, "%s: %.*s", template_format_name(format), (int) strcspn(text, "\n"), text))
                diag("error: %s", error ?: "(none)");
        free(out);
        free(error);
}

static void refused(TemplateFormat format, const char *text, const char *x, const char *n, const char *want_error) {
        char *error = NULL, *out = render(format, text, x, n, &error);
        ok(!out, "%s: %.*s with x=%s refused", template_format_name(format), (int) strcspn(text, "\n"), text, x);
        is_str(error, want_error, "%s: the error", template_format_name(format));
        free(out);
        free(error);
}

static void test_json(void) {
        TemplateFormat j = TEMPLATE_FORMAT_JSON;
        renders(j, "{\"a\": \"{{ x }}\"}", "10.0.0.0/16\"}],\"x\":[{\"a\":\"b\\", NULL,
                "{\"a\": \"10.0.0.0/16\\\"}],\\\"x\\\":[{\\\"a\\\":\\\"b\\\\\"}");
        renders(j, "{\"a\": \"x\\\\\", \"b\": \"{{ x }}\"}", "q\"", NULL, "{\"a\": \"x\\\\\", \"b\": \"q\\\"\"}");
        renders(j, "{\"mtu\": {{ n }}, \"b\": {{ x }}}", "true", "-3", "{\"mtu\": -3, \"b\": true}");
        renders(j, "{\"b\": {{ x }}}", "1.5e3", NULL, "{\"b\": 1.5e3}");
        refused(j, "{\"b\": {{ x }}}", "abc", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (json): its value is not a JSON "
                "number, true, false or null: quote the reference in the playbook (\"{{ x }}\")");
        renders(j, "{\"b\": {{ n }}}", "a", "010", "{\"b\": 10}");
        refused(j, "{\"b\": \"{{ x }}\"", "a", NULL, "t.yaml:1:4: the file content (json) is not JSON once the parameters are in");
        char *error = NULL;
        ok(!load(j, "{\"b\": \"\\{{ x }}\"}", &error), "json: a reference after a backslash refused at load");
        is_str(error, "t.yaml:1:4: the file content (json): a reference right after a backslash", "json: its error");
        free(error);
}

static void test_toml(void) {
        TemplateFormat t = TEMPLATE_FORMAT_TOML;
        renders(t, "[a]\nb = \"{{ x }}\"\n", "q\"\\", NULL, "[a]\nb = \"q\\\"\\\\\"\n");
        renders(t, "b = '{{ x }}' # it's\n", "C:\\x", NULL, "b = 'C:\\x' # it's\n");
        refused(t, "b = '{{ x }}'\n", "it's", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (toml): its value is not writable in "
                "a TOML literal string ('...'), which cannot hold a quote: use a basic string (\"...\") in the playbook");
        renders(t, "b = {{ n }}\nc = [{{ x }}, 2]\n", "true", "010", "b = 10\nc = [true, 2]\n");
        refused(t, "b = {{ x }}\n", "abc", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (toml): its value is not a TOML "
                "integer or boolean: quote the reference in the playbook (\"{{ x }}\")");
        renders(t, "[t.{{ x }}]\n{{ x }} = 1\nc = {d = 1, {{ x }} = 2}\n", "k-1", NULL, "[t.k-1]\nk-1 = 1\nc = {d = 1, k-1 = 2}\n");
        refused(t, "{{ x }} = 1\n", "a.b", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (toml): its value is not a TOML "
                "bare key (letters, digits, '_' and '-'): quote the reference in the playbook");
        renders(t, "b = \"\"\"x\"\"\"\nc = \"{{ x }}\"\n", "\"", NULL, "b = \"\"\"x\"\"\"\nc = \"\\\"\"\n");

        refused(t, "a = \"{{ x }}\"\nb =\n", "v", NULL, "t.yaml:1:4: the file content (toml) is not TOML once the parameters are in");
        char *error = NULL;
        ok(!load(t, "a = 1 # {{ x }}\n", &error), "toml: a reference in a comment refused at load");
        is_str(error, "t.yaml:1:4: the file content (toml): a reference in a TOML comment", "toml: its error");
        free(error);
        ok(!load(t, "a = \"\"\"\n{{ x }}\"\"\"\n", &error), "toml: a reference in a multi-line string refused");
        is_str(error, "t.yaml:1:4: the file content (toml): a reference in a multi-line TOML string (use a one-line "
               "\"...\" string)", "toml: its error");
        free(error);
}

static void test_yaml(void) {
        TemplateFormat y = TEMPLATE_FORMAT_YAML;
        renders(y, "a:\n  b: \"{{ x }}\"\n  c: '{{ x }}'\n", "it's \"q\" \\", NULL,
                "a:\n  b: \"it's \\\"q\\\" \\\\\"\n  c: 'it''s \"q\" \\'\n");
        renders(y, "a: {{ x }}\nb: {{ n }}\n", "hello", "010", "a: hello\nb: 10\n");
        renders(y, "a: it's {{ x }} # note\n", "b", NULL, "a: it's b # note\n");
        renders(y, "a: [\"{{ x }}\", '{{ x }}']\n", "a'b", NULL, "a: [\"a'b\", 'a''b']\n");
        renders(y, "a: 'it''s {{ x }}'\nb: '{{ x }}'\n", "o'k", NULL, "a: 'it''s o''k'\nb: 'o''k'\n");
        /* A block scalar's text is taken as it is: no escapes there, nor quotes to track. */
        renders(y, "a: |-\n  it's \"{{ x }}\" here\n  {{ x }} 'at' start\n\n  x\nb: \"{{ x }}\"\n", "q\"", NULL,
                "a: |-\n  it's \"q\"\" here\n  q\" 'at' start\n\n  x\nb: \"q\\\"\"\n");
        renders(y, "- > # folded\n  '{{ x }}\n- '{{ x }}'\n", "o'k", NULL, "- > # folded\n  'o'k\n- 'o''k'\n");
        static const char * const bad[] = { "x: y", "yes", "true", "1.5", "~", "a #b", "- x", "[a]", "*ref", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                refused(y, "a: {{ x }}\n", bad[i], NULL,
                        "t.yaml:1:4: parameter 'x' cannot be written into the file content (yaml): its value is not a "
                        "string YAML writes unquoted (it would read as another type, or holds ': ', ' #' or an "
                        "indicator): quote the reference in the playbook (\"{{ x }}\")");
        refused(y, "a: \"{{ x }}\"\nb: [1\n", "v", NULL, "t.yaml:1:4: the file content (yaml) is not YAML once the parameters are in");
        char *error = NULL;
        ok(!load(y, "a: 1 # {{ x }}\n", &error), "yaml: a reference in a comment refused at load");
        is_str(error, "t.yaml:1:4: the file content (yaml): a reference in a YAML comment", "yaml: its error");
        free(error);
}

static void test_env(void) {
        TemplateFormat e = TEMPLATE_FORMAT_ENV;
        renders(e, "# proxy\nA=\"{{ x }}\"\nB={{ n }}\nC='{{ x }}'\n", "$HOME `id` \"q\" %", "8080",
                "# proxy\nA=\"\\$HOME \\`id\\` \\\"q\\\" %\"\nB=8080\nC='$HOME `id` \"q\" %'\n");
        refused(e, "A={{ x }}\n", "a b", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (env): its value is not writable "
                "unquoted in an env file (it has a space, quote or shell character): quote the reference in the "
                "playbook (\"{{ x }}\")");
        refused(e, "A='{{ x }}'\n", "it's", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (env): its value is not writable "
                "in single quotes in an env file (it has a quote or backslash): use double quotes in the playbook");
        char *error = NULL;
        ok(!load(e, "{{ x }}=1\n", &error), "env: a reference in a variable name refused at load");
        is_str(error, "t.yaml:1:4: the file content (env): a reference in an env file's variable name", "env: its error");
        free(error);
}

static void test_unit(void) {
        TemplateFormat u = TEMPLATE_FORMAT_UNIT;
        renders(u, "[Service]\nExecStartPre=/bin/echo {{ x }}\n", "50%$HOME", NULL,
                "[Service]\nExecStartPre=/bin/echo 50%%$$HOME\n");
        renders(u, "[Service]\nExecStart=/bin/echo \"{{ x }}\" '{{ n }}'\n", "a \"b\" \\ $c %i", "7",
                "[Service]\nExecStart=/bin/echo \"a \\\"b\\\" \\\\ $$c %%i\" '7'\n");
        renders(u, "[Service]\nEnvironment=\"A={{ x }}\" B={{ n }}\n", "a\"%$", "7",
                "[Service]\nEnvironment=\"A=a\\\"%%$\" B=7\n");
        renders(u, "[Unit]\n# {{ x }}\nDescription=The {{ x }} unit\n", "50% \"x\" y", NULL,
                "[Unit]\n# 50% \"x\" y\nDescription=The 50%% \"x\" y unit\n");
        refused(u, "[Unit]\nDescription={{ x }}\nAfter=a.target\n", "a\\", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (unit): its value is not writable "
                "at the end of a unit file's value: it ends in a backslash, which would continue the line");
        refused(u, "[Service]\nExecStart=/bin/sleep {{ x }}\n", "15 ExecStartPre=/bin/false", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (unit): its value is not one word "
                "of a unit file's command line (it has a space, quote or backslash): quote the reference in the "
                "playbook (\"{{ x }}\")");
        refused(u, "[Service]\nExecStart=/bin/echo '{{ x }}'\n", "it's", NULL,
                "t.yaml:1:4: parameter 'x' cannot be written into the file content (unit): its value is not writable "
                "in single quotes in a unit file (it has a quote or backslash): use double quotes in the playbook");

        renders(u, "[Service]\nExecStart=/bin/echo a \\\n  {{ x }}\nUser=x\n", "50%", NULL,
                "[Service]\nExecStart=/bin/echo a \\\n  50%%\nUser=x\n");
        static const char * const at_load[] = { "[{{ x }}]\n", "[Service]\n{{ x }}=1\n", "[Service]\nExec{{ x }}=1\n",
                                                "[Service]\nExecStart=/bin/echo \\{{ x }}\n" };
        for (size_t i = 0; i < ELEMENTSOF(at_load); i++) {
                char *error = NULL;
                ok(!load(u, at_load[i], &error), "unit: reference %zu refused at load", i);
                ok(error && startswith(error, "t.yaml:1:4: the file content (unit): a reference "), "unit: its error");
                free(error);
        }
}

static void test_format_for_path(void) {
        static const struct {
                const char *path;
                TemplateFormat format;
        } cases[] = {
                { "{{ x }}/zz-remedy-placeholder.conflist", TEMPLATE_FORMAT_JSON },
                { "/etc/cni/net.d/10.json", TEMPLATE_FORMAT_JSON },
                { "/etc/containerd/conf.d/{{ x }}.toml", TEMPLATE_FORMAT_TOML },
                { "/var/lib/kubelet/config.yaml", TEMPLATE_FORMAT_YAML },
                { "/etc/x.yml", TEMPLATE_FORMAT_YAML },
                { "/etc/default/kubelet", TEMPLATE_FORMAT_ENV },
                { "/etc/sysconfig/{{ x }}", TEMPLATE_FORMAT_ENV },
                { "/etc/kubernetes/proxy.env", TEMPLATE_FORMAT_ENV },
                { "/etc/systemd/system/kubelet.service", TEMPLATE_FORMAT_UNIT },
                { "/etc/systemd/system/kubelet.service.d/10-x.conf", TEMPLATE_FORMAT_UNIT },
                { "/etc/modules-load.d/k8s.conf", TEMPLATE_FORMAT_TEXT },
                { "/etc/x.conf", TEMPLATE_FORMAT_TEXT },
                { "/etc/cni/{{ x }}", TEMPLATE_FORMAT_TEXT },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *y = yaml_quote(cases[i].path), *yerr = NULL;
                YamlDocument *d = NULL;
                Template *t = NULL;
                ParseContext pc = { .file = "t.yaml", .params = params, .n_params = ELEMENTSOF(params) };
                if (yaml_document_parse("t.yaml", y, strlen(y), &d, &yerr) < 0 ||
                    template_parse(&pc, yaml_node_get(d->root, "t"), TEMPLATE_PATH, "a path", &t) < 0)
                        abort();
                is_str(template_format_name(template_format_for_path(t)), template_format_name(cases[i].format),
                       "%s is %s", cases[i].path, template_format_name(cases[i].format));
                template_free(t);
                yaml_document_free(d);
                free(y);
                free(yerr);
        }
}

int main(void) {
        test_json();
        test_toml();
        test_yaml();
        test_env();
        test_unit();
        test_format_for_path();
        yaml_document_free(doc);
        return tap_done();
}
