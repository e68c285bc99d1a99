/* SPDX-License-Identifier: MIT */
/*
 * What a loaded playbook does with values: --set checked per parameter type, templates parsed and
 * rendered, and the good playbook's conditions and checks evaluated on a scratch node tree. Its
 * parsing is tested in test-playbook.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "playbook-test-good.h"
#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/playbook.h"
#include "tap.h"
#include "test-util.h"

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
                "timeout=5µs", "subnet=a\u2027b", "conf_dir=/", "conf_dir=/etc/cni", "mode=ptp", "subnet=",
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
                /* A delay or timeout that never ends is not a useful one, and sleep(1) and Go
                 * would spell it differently from systemd. */
                { "timeout=infinity", "infinity, which is not a delay or timeout a step can wait out" },
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

        /* A string parameter with '..', a relative start or a wildcard. */
        char *set2[] = { (char *) "cluster=../shadow", NULL };
        is_int(param_values_new(p, set2, &v, &verr), 0, "string values are not checked until rendered");
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
        _cleanup_free_ char *verr = NULL, *conflist = NULL, *subnet_env = NULL;
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

/* What every value must be before its type is looked at: one line of printable UTF-8. */
static void test_value_text(void) {
        static const char * const good[] = { "", "a b", "10.244.0.0/16", "5\xc2\xb5s", "\xe6\x97\xa5\xe6\x9c\xac",
                                             "\xf0\x9f\x98\x80", ("a\xe2\x80\xa7" "b"), "~!@#$%^&*()\"'\\" };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                is_int(param_text_check(good[i], NULL), 0, "text %zu accepted", i);

        static const struct {
                const char *value, *reason;
        } bad[] = {
                { "15\nExecStartPre=/bin/false", "not one line of printable text: it has a control character (U+000A) at byte 3" },
                { "a\rb", "not one line of printable text: it has a control character (U+000D) at byte 2" },
                { "a\tb", "not one line of printable text: it has a control character (U+0009) at byte 2" },
                { "\x1b[31m", "not one line of printable text: it has a control character (U+001B) at byte 1" },
                { "a\x7f", "not one line of printable text: it has a control character (U+007F) at byte 2" },
                { "a\xc2\x85", "not one line of printable text: it has a control character (U+0085) at byte 2" },
                { "a\xc2\x9b" "31m", "not one line of printable text: it has a control character (U+009B) at byte 2" },
                { "a\xe2\x80\xa8", "not one line of text: it has a Unicode line or paragraph separator (U+2028) at byte 2" },
                { "\xe2\x80\xa9", "not one line of text: it has a Unicode line or paragraph separator (U+2029) at byte 1" },
                { "ab\xff", "not valid UTF-8" },
                { "\xc0\x8a", "not valid UTF-8" },           /* an overlong newline */
                { "\xed\xa0\x80", "not valid UTF-8" },       /* a surrogate */
                { "\xf4\x90\x80\x80", "not valid UTF-8" },   /* past U+10FFFF */
                { "\xe2\x80", "not valid UTF-8" },           /* cut short */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *reason = NULL;
                is_int(param_text_check(bad[i].value, &reason), -EINVAL, "text %zu refused", i);
                is_str(reason, bad[i].reason, "text %zu: its reason", i);
        }

        /* Through --set: the declaration is named, the value is not echoed. */
        _cleanup_(playbook_freep) Playbook *p = load_good();
        if (!p)
                return;
        const Param *subnet = playbook_find_param(p, "subnet");
        _cleanup_free_ char *e = set_one(p, "subnet=10.0.0.0/16\x1b[2J"), *w = NULL, *k = set_one(p, "sub\nnet=1");
        if (asprintf(&w, "%s:%u:%u: --set subnet=...: the value is not one line of printable text: it has a control "
                     "character (U+001B) at byte 12 (parameter 'subnet' is declared here as string)", p->path,
                     subnet->mark.line, subnet->mark.column) < 0)
                abort();
        is_str(e, w, "--set with an ESC: names the declaration, not the value");
        is_str(k, "--set: the key is not one line of printable text: it has a control character (U+000A) at byte 4",
               "--set with a newline in the key");
}

static void test_cidr(void) {
        Param p = { .name = (char *) "subnet", .type = PARAM_CIDR };
        static const char * const good[] = { "10.244.0.0/16", "0.0.0.0/0", "10.1.2.3/32", "192.168.128.0/17",
                                             "fd00:10::/64", "::/0", "2001:db8::1/128", "::ffff:10.0.0.0/104" };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                is_int(param_check_value(&p, good[i], NULL), 0, "cidr %s accepted", good[i]);

        static const struct {
                const char *value, *reason;
        } bad[] = {
                { "10.0.0.0", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "/8", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "10.0.0.0/", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "10.0.0/8", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "010.0.0.0/8", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "300.0.0.0/8", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "10.0.0.0/08", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "10.0.0.0/-1", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "10.0.0.0/ 8", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { " 10.0.0.0/8", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "10.0.0.0/16\"}]", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "fe80::%eth0/64", "not a CIDR subnet (ADDRESS/PREFIX: 10.244.0.0/16, fd00:10::/64)" },
                { "10.0.0.0/33", "not a CIDR subnet: an IPv4 prefix is 0 to 32 bits" },
                { "2001:db8::/129", "not a CIDR subnet: an IPv6 prefix is 0 to 128 bits" },
                { "10.244.1.7/16", "not a CIDR subnet: the address has host bits set (give the network address)" },
                { "10.0.0.1/31", "not a CIDR subnet: the address has host bits set (give the network address)" },
                { "fd00:10::1/64", "not a CIDR subnet: the address has host bits set (give the network address)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *reason = NULL;
                is_int(param_check_value(&p, bad[i].value, &reason), -EINVAL, "cidr '%s' refused", bad[i].value);
                is_str(reason, bad[i].reason, "cidr '%s': its reason", bad[i].value);
        }
}

/* A duration is written as seconds, the spelling sleep(1), systemd and Go all read. */
static void test_duration_canonical(void) {
        Param d = { .name = (char *) "delay", .type = PARAM_DURATION }, s = { .name = (char *) "s", .type = PARAM_STRING };
        static const struct {
                const char *value, *canonical;
        } cases[] = {
                { "15s", "15s" }, { "10", "10s" }, { "0", "0s" }, { "500ms", "0.5s" }, { "1min 30s", "90s" },
                { "2h30m", "9000s" }, { "1.5s", "1.5s" }, { "5\xc2\xb5s", "0.000005s" }, { "1d", "86400s" },
                { "1.25min", "75s" }, { "250 msec", "0.25s" }, { "1s 1us", "1.000001s" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *out = NULL;
                is_int(param_value_canonical(&d, cases[i].value, &out), 0, "duration '%s'", cases[i].value);
                is_str(out, cases[i].canonical, "duration '%s' is written %s", cases[i].value, cases[i].canonical);
        }
        _cleanup_free_ char *out = NULL;
        is_int(param_value_canonical(&s, "500ms", &out), 0, "a string");
        is_str(out, "500ms", "a string is written as given");
}

int main(void) {
        test_value_text();
        test_cidr();
        test_duration_canonical();
        test_params();
        test_templates();
        test_conditions_and_checks();
        return tap_done();
}
