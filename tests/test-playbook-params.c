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

int main(void) {
        test_params();
        test_templates();
        test_conditions_and_checks();
        return tap_done();
}
