/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

static char *fixture_path(const char *name) {
        const char *dir = getenv("FIXTURES");
        char *p;
        if (asprintf(&p, "%s/playbooks/%s", dir ? dir : "tests/fixtures", name) < 0)
                abort();
        return p;
}

static Playbook *load_good(void) {
        _cleanup_free_ char *path = fixture_path("good/cni-placeholder.yaml");
        _cleanup_free_ char *error = NULL;
        Playbook *p = NULL;
        int r = playbook_load(path, &p, &error);
        if (!is_int(r, 0, "the good playbook loads"))
                diag("%s", error);
        return p;
}

static void test_good_playbook(void) {
        _cleanup_free_ char *path = fixture_path("good/cni-placeholder.yaml");
        _cleanup_(playbook_freep) Playbook *p = load_good();
        if (!p)
                return;

        is_str(p->name, "cni-placeholder", "name");
        is_str(p->summary, "Write a placeholder CNI config so the node can become Ready", "summary");
        ok(p->description && startswith(p->description, "kubelet reports NetworkReady=false"), "description");
        is_int(strv_length(p->references), 2, "two references");
        is_str(p->path, path, "path kept");

        is_int(p->n_params, 7, "seven parameters");
        const Param *subnet = playbook_find_param(p, "subnet");
        ok(subnet && subnet->type == PARAM_STRING, "subnet is a string");
        is_str(subnet ? subnet->default_value : NULL, "10.244.0.0/16", "subnet default");
        is_str(subnet ? subnet->description : NULL, "pod subnet of this node", "subnet description");
        is_int(subnet ? subnet->mark.line : 0, 12, "subnet declared on line 12");
        const Param *mode = playbook_find_param(p, "mode");
        ok(mode && mode->type == PARAM_ENUM && strv_length(mode->choices) == 2, "mode is an enum of two");
        is_str(playbook_find_param(p, "restart")->default_value, "true", "bool default as written");
        is_str(playbook_find_param(p, "timeout")->default_value, "1min 30s", "duration default as written");
        ok(!playbook_find_param(p, "cluster")->default_value, "cluster is required");
        ok(!playbook_find_param(p, "nope"), "no such parameter");

        is_int(p->n_steps, 5, "five steps");
        is_str(p->steps[0].name, "Write the placeholder config", "first step name");
        is_str(p->steps[0].action->key, "file", "first step is a file action");
        ok(p->steps[0].when != NULL, "first step has a condition");
        is_int(p->steps[0].mark.line, 23, "first step on line 23");
        is_int(p->steps[0].mark.column, 5, "first step at column 5");
        is_str(p->steps[1].action->key, "remove", "second step removes");
        is_str(p->steps[2].action->key, "dropin", "third step is a drop-in");
        is_str(p->steps[3].action->key, "kubelet-flags", "fourth step edits kubelet flags");
        ok(p->steps[0].node && p->steps[0].node->type == YAML_NODE_MAPPING, "step keeps its arguments node");
        is_int(p->n_checks, 2, "two checks");
        is_str(p->checks[0].type->key, "file", "file check");

        /* The identity of the file, computed by another program. */
        char *argv[] = { (char *) "sha256sum", path, NULL };
        _cleanup_free_ char *out = NULL;
        if (program_exists("sha256sum") && run_capture(argv, &out, NULL) == 0 && out && strlen(out) >= 64) {
                out[64] = 0;
                is_str(p->sha256, out, "sha256 of the file bytes");
        } else
                ok(false, "sha256sum runs");
}

static void test_bad_playbooks(void) {
        /* The expected errors live beside the fixtures, one line per file. */
        _cleanup_free_ char *table = read_fixture("playbooks/bad/expected-errors.tsv", NULL);
        unsigned n = 0;

        for (char *line = strtok(table, "\n"); line; line = strtok(NULL, "\n")) {
                _cleanup_free_ char *path = NULL, *want = NULL, *error = NULL;
                Playbook *p = NULL;

                if (line[0] == '#')
                        continue;
                char *errname = strchr(line, '\t'), *reason = errname ? strchr(errname + 1, '\t') : NULL;
                if (!ok(reason != NULL, "table line is FILE<TAB>ERRNO<TAB>ERROR"))
                        continue;
                *errname++ = 0;
                *reason++ = 0;
                int err = streq(errname, "EBADMSG") ? -EBADMSG : -EINVAL;

                if (asprintf(&path, "%s/playbooks/bad/%s.yaml", getenv("FIXTURES") ?: "tests/fixtures", line) < 0 ||
                    asprintf(&want, "%s:%s", path, reason) < 0)
                        abort();
                int r = playbook_load(path, &p, &error);
                is_int(r, err, "%s is refused", line);
                is_str(error, want, "%s: error names FILE:LINE:COLUMN", line);
                ok(!p, "%s: no playbook", line);
                playbook_free(p);
                n++;
        }
        ok(n >= 32, "%u bad playbooks checked", n);
}

/* Runs param_values_new with one --set and returns the error (or NULL when accepted). */
static char *set_one(const Playbook *p, const char *assignment) {
        char *argv[] = { (char *) "cluster=prod", (char *) assignment, NULL };
        ParamValues *v = NULL;
        char *error = NULL;
        int r = param_values_new(p, argv, &v, &error);
        param_values_free(v);
        if (r == 0)
                return NULL;
        if (!error)
                error = strdup("(no error message)");
        return error;
}

static void test_params(void) {
        _cleanup_(playbook_freep) Playbook *p = load_good();
        if (!p)
                return;
        const char *f = p->path;
        _cleanup_free_ char *want = NULL, *error = NULL;
        ParamValues *v = NULL;

        is_int(param_values_new(p, NULL, &v, &error), -EINVAL, "a required parameter must be set");
        if (asprintf(&want, "%s:21:3: parameter 'cluster' of playbook 'cni-placeholder' is required: pass --set cluster=VALUE",
                     f) < 0)
                abort();
        is_str(error, want, "missing required value names the declaration");

        char *sets[] = { (char *) "cluster=prod", (char *) "mtu=9000", (char *) "mtu=1500", (char *) "subnet=a=b", NULL };
        free(error);
        error = NULL;
        is_int(param_values_new(p, sets, &v, &error), 0, "values accepted");
        is_int(param_values_count(v), 7, "all seven parameters have values");
        is_str(param_values_get(v, "cluster"), "prod", "set value");
        is_str(param_values_get(v, "mtu"), "1500", "the later --set wins");
        is_str(param_values_get(v, "subnet"), "a=b", "value may contain '='");
        is_str(param_values_get(v, "conf_dir"), "/etc/cni/net.d", "default value");
        is_str(param_values_name(v, 0), "subnet", "declaration order: first");
        is_str(param_values_value(v, 6), "prod", "declaration order: last");
        ok(!param_values_get(v, "nope"), "no value for an undeclared name");
        param_values_free(v);

        /* Accepted per type. */
        static const char * const good[] = {
                "restart=false", "mtu=-3", "mtu=9223372036854775807", "timeout=15s", "timeout=1min 30s",
                "timeout=500ms", "timeout=0", "timeout=2h30m", "timeout=1.5s", "timeout=3 weeks", "timeout=10",
                "timeout=infinity", "timeout=5µs", "conf_dir=/", "conf_dir=/etc/cni", "mode=ptp", "subnet=",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *e = set_one(p, good[i]);
                ok(!e, "--set %s accepted", good[i]);
                if (e)
                        diag("%s", e);
        }

        /* Refused per type, each with its reason. */
        static const struct {
                const char *set, *reason;
        } bad[] = {
                { "restart=yes", "not a boolean (write true or false)" },
                { "restart=True", "not a boolean (write true or false)" },
                { "mtu=12x", "not a decimal integer" },
                { "mtu= 12", "not a decimal integer" },
                { "mtu=+12", "not a decimal integer" },
                { "mtu=", "not a decimal integer" },
                { "mtu=9223372036854775808", "out of range for a 64-bit integer" },
                { "mtu=-99999999999999999999", "out of range for a 64-bit integer" },
                { "timeout=15 parsecs", "not a time span such as 15s, 1min 30s or 500ms" },
                { "timeout=s", "not a time span such as 15s, 1min 30s or 500ms" },
                { "timeout=-5s", "not a time span such as 15s, 1min 30s or 500ms" },
                { "timeout=", "not a time span such as 15s, 1min 30s or 500ms" },
                { "timeout=1.s", "not a time span such as 15s, 1min 30s or 500ms" },
                { "timeout=99999999999999999999s", "not a time span such as 15s, 1min 30s or 500ms" },
                { "conf_dir=etc/cni", "not an absolute path" },
                { "conf_dir=/etc/../cni", "not a normalised path (no '.', '..', '//' or trailing '/')" },
                { "conf_dir=/etc/cni/", "not a normalised path (no '.', '..', '//' or trailing '/')" },
                { "conf_dir=//etc", "not a normalised path (no '.', '..', '//' or trailing '/')" },
                { "mode=vxlan", "must be one of: bridge, ptp" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *e = set_one(p, bad[i].set), *key = strndup(bad[i].set, strcspn(bad[i].set, "="));
                const Param *param = playbook_find_param(p, key);
                char *w = NULL;
                if (asprintf(&w, "%s:%u:%u: --set %s='%s': %s (parameter '%s' is declared here as %s)", f, param->mark.line,
                             param->mark.column, key, strchr(bad[i].set, '=') + 1, bad[i].reason, key,
                             param_type_name(param->type)) < 0)
                        abort();
                is_str(e, w, "--set %s refused", bad[i].set);
                free(w);
        }

        _cleanup_free_ char *e1 = set_one(p, "colour=red"), *e2 = set_one(p, "novalue"), *w1 = NULL;
        if (asprintf(&w1, "%s: playbook 'cni-placeholder' has no parameter 'colour'", f) < 0)
                abort();
        is_str(e1, w1, "unknown --set key names the playbook");
        is_str(e2, "--set 'novalue': expected KEY=VALUE", "--set without '='");
}

/* Parses the scalar `key` of a small document as a template against the good playbook's params. */
typedef struct TemplateCase {
        YamlDocument *doc;
        ParseContext pc;
} TemplateCase;

static int parse_case(TemplateCase *tc, const char *key, TemplateFlags flags, const char *what, Template **ret) {
        return template_parse(&tc->pc, yaml_node_get(tc->doc->root, key), flags, what, ret);
}

static void test_templates(void) {
        _cleanup_(playbook_freep) Playbook *p = load_good();
        if (!p)
                return;
        const char *y =
                "one: \"{{ subnet }}\"\n"
                "path: \"{{ conf_dir }}/{{ cluster }}.conf\"\n"
                "sub: \"/etc/{{cluster}}/x\"\n"
                "glob: \"/etc/{{ cluster }}\"\n"
                "multi: |\n"
                "  a={{ subnet }}\n"
                "sole: \"{{\t cluster  }}\"\n"
                "lead: \"{{ cluster }}/x\"\n"
                "empty: \"{{ }}\"\n"
                "digit: \"{{ 1abc }}\"\n"
                "twoline: \"/etc/x\\n/etc/y\"\n"
                "dots: /etc/../shadow\n"
                "wild: /etc/*/x\n";
        TemplateCase tc = { .pc = { .file = "t.yaml", .params = p->params, .n_params = p->n_params } };
        _cleanup_free_ char *yerr = NULL;
        if (!is_int(yaml_document_parse("t.yaml", y, strlen(y), &tc.doc, &yerr), 0, "template document parses"))
                return;

        Template *one = NULL, *path = NULL, *sub = NULL, *glob = NULL, *multi = NULL, *sole = NULL, *lead = NULL;
        is_int(parse_case(&tc, "one", 0, "a TOML value", &one), 0, "one-line template");
        is_int(parse_case(&tc, "path", TEMPLATE_PATH, "a path", &path), 0, "path template");
        is_int(parse_case(&tc, "sub", TEMPLATE_PATH, "a path", &sub), 0, "path template with a literal prefix");
        is_int(parse_case(&tc, "glob", TEMPLATE_PATH | TEMPLATE_GLOB, "a path", &glob), 0, "glob template");
        is_int(parse_case(&tc, "multi", TEMPLATE_MULTILINE, "the file content", &multi), 0, "multi-line template");
        is_int(parse_case(&tc, "sole", 0, "a value", &sole), 0, "whitespace inside the braces");
        is_int(parse_case(&tc, "lead", TEMPLATE_PATH, "a path", &lead), 0, "path starting with a parameter");
        ok(template_sole_param(sole) && streq(template_sole_param(sole)->name, "cluster"), "sole parameter found");
        ok(!template_sole_param(sub), "a template with literals has no sole parameter");
        ok(one && one->mark.line == 1 && one->mark.column == 6, "template keeps its mark");

        Template *t = NULL;
        is_int(parse_case(&tc, "empty", 0, "a value", &t), -EINVAL, "empty braces refused");
        is_str(tc.pc.error, "t.yaml:9:8: empty '{{ }}' in a value", "empty braces error");
        free(TAKE_PTR(tc.pc.error));
        is_int(parse_case(&tc, "digit", 0, "a value", &t), -EINVAL, "name starting with a digit refused");
        free(TAKE_PTR(tc.pc.error));
        is_int(parse_case(&tc, "twoline", TEMPLATE_PATH, "a path", &t), -EINVAL, "newline in a one-line literal refused");
        is_str(tc.pc.error, "t.yaml:11:10: a path must be a single line", "one-line error");
        free(TAKE_PTR(tc.pc.error));
        is_int(parse_case(&tc, "dots", TEMPLATE_PATH, "a path", &t), -EINVAL, "'..' in a literal path refused");
        is_str(tc.pc.error, "t.yaml:12:7: a path '/etc/../shadow' has a '.' or '..' component", "dots error");
        free(TAKE_PTR(tc.pc.error));
        is_int(parse_case(&tc, "wild", TEMPLATE_PATH | TEMPLATE_GLOB, "a path", &t), -EINVAL,
               "wildcard outside the last component refused");
        is_str(tc.pc.error, "t.yaml:13:7: a path '/etc/*/x' has wildcards outside its last component", "wild error");
        free(TAKE_PTR(tc.pc.error));

        ParamValues *v = NULL;
        _cleanup_free_ char *verr = NULL;
        char *out = NULL, *err = NULL;

        char *set1[] = { (char *) "cluster=prod", (char *) "subnet=10.1.0.0/16", (char *) "conf_dir=/etc/cni", NULL };
        is_int(param_values_new(p, set1, &v, &verr), 0, "values");
        is_int(template_render(path, v, &out, &err), 0, "path renders");
        is_str(out, "/etc/cni/prod.conf", "path rendered");
        free(TAKE_PTR(out));
        is_int(template_render(multi, v, &out, &err), 0, "multi-line renders");
        is_str(out, "a=10.1.0.0/16\n", "multi-line rendered");
        free(TAKE_PTR(out));
        param_values_free(TAKE_PTR(v));

        /* A string parameter with a newline, '..', a relative start or a wildcard. */
        char *set2[] = { (char *) "cluster=../shadow", (char *) "subnet=10.1.0.0/16\nx=1", NULL };
        is_int(param_values_new(p, set2, &v, &verr), 0, "string values are not checked until rendered");
        is_int(template_render(one, v, &out, &err), -EINVAL, "newline in a one-line field refused");
        is_str(err, "t.yaml:1:6: parameter 'subnet' contains a newline, which would break a TOML value", "newline error");
        free(TAKE_PTR(err));
        is_int(template_render(multi, v, &out, &err), 0, "newline allowed in file contents");
        is_str(out, "a=10.1.0.0/16\nx=1\n", "multi-line value rendered");
        free(TAKE_PTR(out));
        is_int(template_render(sub, v, &out, &err), -EINVAL, "'..' from a parameter refused");
        is_str(err, "t.yaml:3:6: parameter 'cluster' makes a path '/etc/../shadow/x', which has a '.' or '..' component",
               "dot-dot error");
        free(TAKE_PTR(err));
        param_values_free(TAKE_PTR(v));

        char *set3[] = { (char *) "cluster=etc", NULL };
        is_int(param_values_new(p, set3, &v, &verr), 0, "values");
        is_int(template_render(lead, v, &out, &err), -EINVAL, "relative path from a parameter refused");
        is_str(err, "t.yaml:8:7: parameter 'cluster' makes a path 'etc/x', which is not an absolute path", "relative error");
        free(TAKE_PTR(err));
        param_values_free(TAKE_PTR(v));

        char *set4[] = { (char *) "cluster=*.conf", NULL };
        is_int(param_values_new(p, set4, &v, &verr), 0, "values");
        is_int(template_render(glob, v, &out, &err), 0, "wildcard in a glob's last component");
        is_str(out, "/etc/*.conf", "glob rendered");
        free(TAKE_PTR(out));
        is_int(template_render(sub, v, &out, &err), -EINVAL, "wildcard in a plain path refused");
        is_str(err, "t.yaml:3:6: parameter 'cluster' makes a path '/etc/*.conf/x', which has wildcards this field "
               "does not expand", "wildcard error");
        free(TAKE_PTR(err));
        param_values_free(TAKE_PTR(v));

        char *set5[] = { (char *) "cluster=prod//", (char *) "conf_dir=/etc", NULL };
        is_int(param_values_new(p, set5, &v, &verr), 0, "values");
        is_int(template_render(path, v, &out, &err), 0, "duplicate slashes are normalised away");
        is_str(out, "/etc/prod/.conf", "normalised path rendered");
        free(TAKE_PTR(out));
        param_values_free(TAKE_PTR(v));

        Template *all[] = { one, path, sub, glob, multi, sole, lead };
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                template_free(all[i]);
        yaml_document_free(tc.doc);
}

static void test_parse_util(void) {
        const char *y =
                "m1: \"0644\"\n"
                "m2: 0644\n"
                "m3: 644\n"
                "m4: 0o755\n"
                "m5: \"7777\"\n"
                "m6: 10000\n"
                "m7: rw\n"
                "m8: \"\"\n"
                "b1: true\n"
                "b2: yes\n"
                "l1: [a, b]\n"
                "l2: a\n"
                "l3: [a, [b]]\n"
                "s1: ~\n"
                "seq: [x]\n";
        YamlDocument *doc = NULL;
        _cleanup_free_ char *yerr = NULL;
        if (!is_int(yaml_document_parse("u.yaml", y, strlen(y), &doc, &yerr), 0, "parse-util document parses"))
                return;
        const YamlNode *root = doc->root;
        ParseContext pc = { .file = "u.yaml" };
        mode_t m = 0;
        bool b = false;
        char **l = NULL, *s = NULL;

        is_int(parse_mode(&pc, root, "m1", true, &m), 1, "\"0644\"");
        is_int(m, 0644, "\"0644\" is 0644");
        is_int(parse_mode(&pc, root, "m2", true, &m), 1, "plain 0644");
        is_int(m, 0644, "plain 0644 is octal");
        is_int(parse_mode(&pc, root, "m3", true, &m), 1, "plain 644");
        is_int(m, 0644, "644 is read as octal");
        is_int(parse_mode(&pc, root, "m4", true, &m), 1, "0o755");
        is_int(m, 0755, "YAML 1.2 octal");
        is_int(parse_mode(&pc, root, "m5", true, &m), 1, "\"7777\"");
        is_int(m, 07777, "all bits");
        m = 0123;
        is_int(parse_mode(&pc, root, "absent", false, &m), 0, "optional mode absent");
        is_int(m, 0123, "absent leaves the value alone");
        is_int(parse_mode(&pc, root, "m6", true, &m), -EINVAL, "10000 refused");
        is_str(pc.error, "u.yaml:6:5: 'm6' is larger than 07777: '10000'", "too large");
        free(TAKE_PTR(pc.error));
        is_int(parse_mode(&pc, root, "m7", true, &m), -EINVAL, "rw refused");
        is_str(pc.error, "u.yaml:7:5: 'm7' must be an octal mode such as \"0644\", got 'rw'", "not octal");
        free(TAKE_PTR(pc.error));
        is_int(parse_mode(&pc, root, "m8", true, &m), -EINVAL, "empty mode refused");
        free(TAKE_PTR(pc.error));
        is_int(parse_mode(&pc, root, "absent", true, &m), -EINVAL, "required mode missing");
        is_str(pc.error, "u.yaml:1:1: missing required key 'absent'", "missing key names the mapping");
        free(TAKE_PTR(pc.error));

        is_int(parse_bool(&pc, root, "b1", true, &b), 1, "true");
        ok(b, "true is true");
        is_int(parse_bool(&pc, root, "b2", true, &b), -EINVAL, "yes refused");
        is_str(pc.error, "u.yaml:10:5: 'b2' must be true or false, got 'yes'", "bool error");
        free(TAKE_PTR(pc.error));

        is_int(parse_string_list(&pc, root, "l1", true, &l), 1, "list");
        is_int(strv_length(l), 2, "two items");
        l = strv_free(l);
        is_int(parse_string_list(&pc, root, "l2", true, &l), -EINVAL, "scalar is not a list");
        is_str(pc.error, "u.yaml:12:5: 'l2' must be a list of strings, got a scalar", "list error");
        free(TAKE_PTR(pc.error));
        is_int(parse_string_list(&pc, root, "l3", true, &l), -EINVAL, "nested list refused");
        is_str(pc.error, "u.yaml:13:9: 'l3' must be a list of strings, got a sequence", "nested list error");
        free(TAKE_PTR(pc.error));
        ok(!l, "nothing returned on error");

        is_int(parse_string(&pc, root, "s1", true, &s), -EINVAL, "null is not a string");
        is_str(pc.error, "u.yaml:14:5: 's1' must be a string, got nothing (null)", "null error");
        free(TAKE_PTR(pc.error));

        static const char * const keys[] = { "x", NULL };
        is_int(parse_check_keys(&pc, yaml_node_get(root, "seq"), "the thing", keys), -EINVAL, "sequence is not a mapping");
        is_str(pc.error, "u.yaml:15:6: the thing must be a mapping, got a sequence", "mapping error");
        /* The first error wins. */
        is_int(parse_error(&pc, root, "later"), -EINVAL, "later error");
        is_str(pc.error, "u.yaml:15:6: the thing must be a mapping, got a sequence", "first error kept");
        free(TAKE_PTR(pc.error));
        yaml_document_free(doc);
}

/* A scratch node tree for conditions and checks, evaluated through a fresh Context each time. */
typedef struct Node {
        char *dir;
        Root *root;
        Context *ctx;
        ParamValues *values;
} Node;

static void node_write(Node *n, const char *path, const char *data) {
        _cleanup_free_ char *full = NULL, *cmd_dir = NULL;
        if (asprintf(&full, "%s%s", n->dir, path) < 0)
                abort();
        cmd_dir = strdup(full);
        for (char *sl = strchr(cmd_dir + strlen(n->dir) + 1, '/'); sl; sl = strchr(sl + 1, '/')) {
                *sl = 0;
                (void) mkdir(cmd_dir, 0755);
                *sl = '/';
        }
        if (data)
                write_file(full, data, strlen(data));
        else
                (void) mkdir(full, 0755);
}

static Context *node_context(Node *n) {
        context_free(n->ctx);
        n->ctx = NULL;
        if (context_new(n->root, true, &n->ctx) < 0)
                abort();
        n->ctx->values = n->values;
        return n->ctx;
}

static int eval_step(Node *n, const Playbook *p, size_t step, char **ret_error) {
        *ret_error = NULL;
        return condition_eval(node_context(n), p->steps[step].when, ret_error);
}

static int run_check(Node *n, const Playbook *p, size_t i, char **ret_evidence) {
        return p->checks[i].type->run(node_context(n), p->checks[i].args, ret_evidence);
}

static void test_conditions_and_checks(void) {
        _cleanup_(playbook_freep) Playbook *p = load_good();
        if (!p)
                return;
        Node n = { .dir = make_temp_dir("conditions") };
        char *sets[] = { (char *) "cluster=prod", NULL };
        _cleanup_free_ char *verr = NULL;
        char *err = NULL, *evidence = NULL;

        if (!is_int(root_open(n.dir, &n.root), 0, "scratch root opens") ||
            !is_int(param_values_new(p, sets, &n.values, &verr), 0, "values"))
                goto finish;

        node_write(&n, "/etc/cni/net.d", NULL);
        is_int(eval_step(&n, p, 0, &err), 1, "absent: no *.conflist yet");
        node_write(&n, "/etc/cni/net.d/10-flannel.conflist", "{}\n");
        is_int(eval_step(&n, p, 0, &err), 0, "absent: a *.conflist exists");

        is_int(eval_step(&n, p, 1, &err), 1, "not exists: no flannel directory");
        node_write(&n, "/var/lib/cni/flannel", NULL);
        is_int(eval_step(&n, p, 1, &err), 0, "not exists: flannel directory there");

        is_int(eval_step(&n, p, 2, &err), 0, "toml: missing file is false");
        ok(!err, "no error for a missing file");
        node_write(&n, "/etc/containerd/config.toml", "version = 2\n\n[plugins]\n");
        is_int(eval_step(&n, p, 2, &err), 1, "toml: version equals 2");
        node_write(&n, "/etc/containerd/config.toml", "version = 3\n");
        is_int(eval_step(&n, p, 2, &err), 0, "toml: version 3 is not 2");
        node_write(&n, "/etc/containerd/config.toml", "[plugins]\nx = 1\n");
        is_int(eval_step(&n, p, 2, &err), 0, "toml: missing key is false");
        node_write(&n, "/etc/containerd/config.toml", "version = 2\n[plugins\n");
        ok(eval_step(&n, p, 2, &err) < 0, "toml: unparseable file is an error");
        ok(err && startswith(err, "/etc/containerd/config.toml:2:"), "toml error names file:line");
        if (err)
                diag("%s", err);
        free(TAKE_PTR(err));

        /* any: [exists subnet.env, all: [exists 10-flannel.conflist, not absent flannel dir]] */
        is_int(eval_step(&n, p, 4, &err), 1, "any/all: conflist and flannel directory there");
        node_write(&n, "/run/flannel/subnet.env", "FLANNEL_SUBNET=10.244.1.0/24\n");
        is_int(eval_step(&n, p, 4, &err), 1, "any: first alternative true");
        _cleanup_free_ char *conflist = NULL, *subnet_env = NULL;
        if (asprintf(&conflist, "%s/etc/cni/net.d/10-flannel.conflist", n.dir) < 0 ||
            asprintf(&subnet_env, "%s/run/flannel/subnet.env", n.dir) < 0)
                abort();
        (void) unlink(subnet_env);
        (void) unlink(conflist);
        is_int(eval_step(&n, p, 4, &err), 0, "any/all: neither alternative holds");

        is_int(eval_step(&n, p, 3, &err), 0, "yaml: missing file is false");
        node_write(&n, "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\ncgroupDriver: systemd\n");
        is_int(eval_step(&n, p, 3, &err), 1, "yaml: key exists");
        node_write(&n, "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n");
        is_int(eval_step(&n, p, 3, &err), 0, "yaml: key missing");
        node_write(&n, "/var/lib/kubelet/config.yaml", "kind: [KubeletConfiguration\n");
        ok(eval_step(&n, p, 3, &err) < 0, "yaml: unparseable file is an error");
        ok(err && startswith(err, "/var/lib/kubelet/config.yaml:"), "yaml error names the file");
        free(TAKE_PTR(err));

        /* verify: */
        node_write(&n, "/etc/containerd/config.toml", "# managed\nversion = 2\n");
        is_int(run_check(&n, p, 1, &evidence), 1, "contains: version = 2 found");
        is_str(evidence, "/etc/containerd/config.toml:2: found 'version = 2'", "evidence names the line");
        free(TAKE_PTR(evidence));
        node_write(&n, "/etc/containerd/config.toml", "version = 3\n");
        is_int(run_check(&n, p, 1, &evidence), 0, "contains: version = 2 missing");
        is_str(evidence, "/etc/containerd/config.toml: no line matches /^version *= *2$/", "evidence of absence");
        free(TAKE_PTR(evidence));

        is_int(run_check(&n, p, 0, &evidence), 0, "check of a missing file fails");
        is_str(evidence, "/etc/cni/net.d/10-placeholder.conflist does not exist", "missing file evidence");
        free(TAKE_PTR(evidence));
        node_write(&n, "/etc/cni/net.d/10-placeholder.conflist", "{\n  \"cniVersion\": \"1.0.0\"\n}\n");
        is_int(run_check(&n, p, 0, &evidence), 1, "contains and nothing absent");
        is_str(evidence, "/etc/cni/net.d/10-placeholder.conflist:2: found '  \"cniVersion\": \"1.0.0\"' and nothing "
               "that should be absent", "pass evidence");
        free(TAKE_PTR(evidence));
        node_write(&n, "/etc/cni/net.d/10-placeholder.conflist", "{\n  \"cniVersion\": \"1.0.0\"\n# stray\n}\n");
        is_int(run_check(&n, p, 0, &evidence), 0, "an absent pattern present fails");
        is_str(evidence, "/etc/cni/net.d/10-placeholder.conflist:3: '# stray' matches /^#/, which should be absent",
               "absent evidence");
        free(TAKE_PTR(evidence));

finish:
        context_free(n.ctx);
        root_free(n.root);
        param_values_free(n.values);
        rm_rf(n.dir);
        free(n.dir);
}

static void write_at(const char *dir, const char *name, const char *data) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                abort();
        write_file(path, data, strlen(data));
        (void) chmod(path, 0644);
}

#define PLAYBOOK(name, summary) \
        "name: " name "\nsummary: " summary "\nsteps:\n  - name: Remove it\n    remove: {path: /etc/x}\n"

static void test_playbook_set(void) {
        _cleanup_free_ char *top = make_temp_dir("set"), *a = NULL, *b = NULL, *missing = NULL;
        if (asprintf(&a, "%s/a", top) < 0 || asprintf(&b, "%s/b", top) < 0 || asprintf(&missing, "%s/none", top) < 0)
                abort();
        (void) mkdir(a, 0755);
        (void) mkdir(b, 0755);

        write_at(a, "foo.yaml", PLAYBOOK("foo", "shipped foo"));
        write_at(a, "bar.yaml", PLAYBOOK("bar", "shipped bar"));
        write_at(a, "only-a.yaml", PLAYBOOK("only-a", "only in a"));
        write_at(a, "one.yaml", PLAYBOOK("dup", "first"));
        write_at(a, "two.yaml", PLAYBOOK("dup", "second"));
        write_at(a, "README.md", "not a playbook\n");
        write_at(a, ".hidden.yaml", "{{{ not even YAML\n");
        write_at(b, "foo-override.yaml", PLAYBOOK("foo", "admin foo"));
        write_at(b, "bar.yaml", "name: bar\nsteps: {}\n");
        write_at(b, "baz.yaml", "name: [baz\n");

        char *dirs[] = { a, b, NULL };
        _cleanup_(playbook_set_freep) PlaybookSet *s = NULL;
        _cleanup_free_ char *error = NULL, *want = NULL;
        int r = playbook_set_load(dirs, &s, &error);
        if (!is_int(r, 0, "the set loads despite broken playbooks")) {
                diag("%s", error);
                goto finish;
        }
        is_int(s->n_items, 2, "two valid playbooks");
        is_str(s->items[0]->name, "foo", "sorted by name");
        is_str(s->items[0]->summary, "admin foo", "the later directory wins");
        ok(playbook_set_find(s, "only-a"), "a playbook only in the first directory is there");
        ok(!playbook_set_find(s, "bar"), "a broken override hides the shipped playbook");
        is_int(s->n_errors, 3, "three broken entries");

        const PlaybookError *e = playbook_set_find_error(s, "bar");
        ok(e && e->path && endswith(e->path, "/b/bar.yaml"), "broken override listed under its name");
        if (asprintf(&want, "%s/bar.yaml:2:8: steps must be a list of steps", b) < 0)
                abort();
        is_str(e ? e->error : NULL, want, "its error");
        free(TAKE_PTR(want));

        e = playbook_set_find_error(s, "baz");
        ok(e != NULL, "unparseable playbook listed under its file name");
        ok(e && strstr(e->error, "/b/baz.yaml:2:1: "), "with its syntax error");
        if (e)
                diag("%s", e->error);

        e = playbook_set_find_error(s, "dup");
        if (asprintf(&want, "%s/two.yaml: playbook name 'dup' is also used by %s/one.yaml: rename one", a, a) < 0)
                abort();
        is_str(e ? e->error : NULL, want, "two files of one name in one directory");
        free(TAKE_PTR(want));
        ok(!playbook_set_find(s, "dup"), "neither duplicate is used");
        s = playbook_set_free(s);

        /* A directory given explicitly must exist. */
        char *dirs_missing[] = { a, missing, NULL };
        free(TAKE_PTR(error));
        is_int(playbook_set_load(dirs_missing, &s, &error), -ENOENT, "a missing --playbooks directory is an error");
        ok(error && startswith(error, missing), "error names the directory");
        free(TAKE_PTR(error));

        if (geteuid() != 0) {
                diag("not root: remedy applies the ownership rules only as root");
                ok(chmod(a, 0775) == 0 && playbook_set_load(dirs, &s, &error) == 0,
                   "without root a group-writable directory is read");
                goto finish;
        }

        /* As root: a group-writable directory refuses the whole set, a foreign file is an entry. */
        (void) chmod(a, 0775);
        is_int(playbook_set_load(dirs, &s, &error), -EPERM, "group-writable playbook directory refused");
        if (asprintf(&want, "%s: the playbook directory is writable by its group (mode 0775); remedy runs as root and "
                     "refuses playbooks anyone else could change (chmod go-w %s)", a, a) < 0)
                abort();
        is_str(error, want, "error names the directory and the fix");
        free(TAKE_PTR(want));
        free(TAKE_PTR(error));
        (void) chmod(a, 0755);

        _cleanup_free_ char *only_a = NULL, *link = NULL;
        if (asprintf(&only_a, "%s/only-a.yaml", a) < 0 || asprintf(&link, "%s/link.yaml", b) < 0)
                abort();
        ok(chown(only_a, 65534, 65534) == 0, "give a playbook to nobody");
        ok(symlink(only_a, link) == 0, "symlink a playbook");
        (void) chmod(b, 0755);
        is_int(playbook_set_load(dirs, &s, &error), 0, "set loads with a foreign file");
        e = s ? playbook_set_find_error(s, "only-a") : NULL;
        if (asprintf(&want, "%s: the file is owned by uid 65534, not root; remedy runs as root and refuses playbooks "
                     "anyone else could change (chown root %s)", only_a, only_a) < 0)
                abort();
        is_str(e ? e->error : NULL, want, "a file not owned by root is refused");
        free(TAKE_PTR(want));
        e = s ? playbook_set_find_error(s, "link") : NULL;
        ok(e && strstr(e->error, "is a symlink"), "a symlinked playbook is refused");
        ok(s && playbook_set_find(s, "foo"), "the others still load");
        s = playbook_set_free(s);

        (void) chown(only_a, 0, 0);
        (void) chmod(only_a, 0664);
        is_int(playbook_set_load(dirs, &s, &error), 0, "set loads with a group-writable file");
        e = s ? playbook_set_find_error(s, "only-a") : NULL;
        ok(e && strstr(e->error, "the file is writable by its group (mode 0664)"), "a group-writable file is refused");

finish:
        rm_rf(top);
}

/* The playbooks remedy ships are written in this language: every one must load. */
static void test_shipped_playbooks(void) {
        const char *dir = getenv("PLAYBOOKS");
        if (!ok(dir != NULL, "PLAYBOOKS names the shipped playbooks"))
                return;
        char *dirs[] = { (char *) dir, NULL };
        _cleanup_(playbook_set_freep) PlaybookSet *s = NULL;
        _cleanup_free_ char *error = NULL;
        if (!is_int(playbook_set_load(dirs, &s, &error), 0, "shipped playbooks directory loads")) {
                diag("%s", error);
                return;
        }
        ok(s->n_items > 0, "%zu shipped playbooks", s->n_items);
        is_int(s->n_errors, 0, "no shipped playbook is broken");
        for (size_t i = 0; i < s->n_errors; i++)
                diag("%s", s->errors[i].error);
}

int main(void) {
        test_good_playbook();
        test_bad_playbooks();
        test_params();
        test_templates();
        test_parse_util();
        test_conditions_and_checks();
        test_playbook_set();
        test_shipped_playbooks();
        return tap_done();
}
