/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "edit-test-text.h"
#include "remedy/edit-value.h"
#include "remedy/macro.h"
#include "remedy/yaml-edit.h"
#include "tap.h"
#include "test-util.h"

/*
 * The expected outputs are written out here by hand, as the input with the one line changed; every
 * output is also read back with libyaml's own document loader (not the editor's event walk), the
 * way a consumer reads it.
 */

#define S EDIT_VALUE_STRING
#define B EDIT_VALUE_BOOL
#define I EDIT_VALUE_INT

/* Follows a path of mapping keys (already split) in a libyaml document. */
static yaml_node_t *libyaml_find(yaml_document_t *doc, yaml_node_t *n, char **keys, size_t n_keys) {
        for (size_t i = 0; i < n_keys; i++) {
                yaml_node_t *next = NULL;

                if (!n || n->type != YAML_MAPPING_NODE)
                        return NULL;
                for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = yaml_document_get_node(doc, p->key);
                        if (k && k->type == YAML_SCALAR_NODE && streq((const char *) k->data.scalar.value, keys[i]))
                                next = yaml_document_get_node(doc, p->value);
                }
                n = next;
        }
        return n;
}

/*
 * Reads keypath (plain dots only) as libyaml sees it: the file must hold one document, and the
 * value must be a scalar equal to want. Bools and ints must be plain, strings must be quoted
 * unless want_plain_string.
 */
static bool libyaml_reads(const char *data, const char *keypath, EditValueType type, const char *want) {
        char *keys[8] = {}, *copy = strdup(keypath), *save = NULL;
        size_t n_keys = 0;
        yaml_parser_t parser;
        yaml_document_t doc, second;
        yaml_node_t *node;
        bool good = false;

        for (char *k = strtok_r(copy, ".", &save); k && n_keys < ELEMENTSOF(keys); k = strtok_r(NULL, ".", &save))
                keys[n_keys++] = k;

        yaml_parser_initialize(&parser);
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, strlen(data));
        if (!yaml_parser_load(&parser, &doc)) {
                diag("libyaml: %s at %zu:%zu", parser.problem, parser.problem_mark.line + 1,
                     parser.problem_mark.column + 1);
                yaml_parser_delete(&parser);
                free(copy);
                return false;
        }
        node = libyaml_find(&doc, yaml_document_get_root_node(&doc), keys, n_keys);
        if (node && node->type == YAML_SCALAR_NODE && streq((const char *) node->data.scalar.value, want)) {
                bool plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                good = type == S || plain;
        }
        if (yaml_parser_load(&parser, &second)) {
                good = good && !yaml_document_get_root_node(&second);
                yaml_document_delete(&second);
        } else
                good = false;
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        free(copy);
        return good;
}

/*
 * Sets key and checks the byte-exact result (expected NULL: no change), that libyaml reads the
 * value back, and that setting it again is no change.
 */
static void check_set(const char *what, const char *in, const char *key, EditValueType type, const char *text,
                      const char *expected, const char *readback) {
        EditValue v = { .type = type, .text = text };
        char *out = NULL, *error = NULL, *again = NULL;
        size_t size = 0;
        int r;

        /* Without a terminating NUL: the editor must stay within size (ASan checks). */
        char *exact = malloc(strlen(in) ?: 1);
        memcpy(exact, in, strlen(in));
        r = yaml_edit_set(exact, strlen(in), key, &v, &out, &size, &error);
        free(exact);
        if (!is_int(r, expected ? 1 : 0, "%s: %s", what, expected ? "changed" : "already so"))
                diag("error: %s", error ?: "(none)");
        if (expected) {
                is_str(out, expected, "%s: output byte for byte", what);
                ok(out && size == strlen(out), "%s: size matches", what);
                if (readback)
                        ok(out && libyaml_reads(out, readback, type, text), "%s: libyaml reads the value back", what);
                if (out) {
                        free(error);
                        error = NULL;
                        r = yaml_edit_set(out, size, key, &v, &again, NULL, &error);
                        ok(r == 0 && !again, "%s: setting it again is no change (r=%d %s)", what, r, error ?: "");
                }
        } else
                ok(!out, "%s: no output", what);
        free(out);
        free(again);
        free(error);
}

static void check_refused(const char *what, const char *in, size_t size, const char *key, EditValueType type,
                          const char *text, int want_r, const char *want_error) {
        EditValue v = { .type = type, .text = text };
        char *out = NULL, *error = NULL;
        int r;

        char *exact = malloc(size ?: 1);
        memcpy(exact, in, size);
        r = yaml_edit_set(exact, size, key, &v, &out, NULL, &error);
        free(exact);
        is_int(r, want_r, "%s: refused", what);
        ok(!out, "%s: no output", what);
        if (want_error)
                is_str(error, want_error, "%s: error", what);
        else
                ok(error && strchr(error, ':'), "%s: error \"%s\"", what, error ?: "(null)");
        free(out);
        free(error);
}

static void test_kubeadm_config(void) {
        char *in = read_fixture("yaml-edit/kubeadm-kubelet-config.yaml", NULL), *want;

        want = replaced(in, "cgroupDriver: systemd\n", "cgroupDriver: cgroupfs\n");
        check_set("kubeadm cgroupDriver", in, "cgroupDriver", S, "cgroupfs", want, "cgroupDriver");
        free(want);
        check_set("kubeadm cgroupDriver already", in, "cgroupDriver", S, "systemd", NULL, NULL);

        want = concat(in, "failSwapOn: false\n");
        check_set("kubeadm missing failSwapOn", in, "failSwapOn", B, "false", want, "failSwapOn");
        free(want);

        want = replaced(in, "memorySwap: {}\n", "memorySwap: {swapBehavior: LimitedSwap}\n");
        check_set("kubeadm swapBehavior into {}", in, "memorySwap.swapBehavior", S, "LimitedSwap", want,
                  "memorySwap.swapBehavior");
        free(want);

        want = replaced(in, "containerRuntimeEndpoint: \"\"\n",
                        "containerRuntimeEndpoint: \"unix:///run/containerd/containerd.sock\"\n");
        check_set("kubeadm keeps double quotes", in, "containerRuntimeEndpoint", S,
                  "unix:///run/containerd/containerd.sock", want, "containerRuntimeEndpoint");
        free(want);

        want = replaced(in, "    cacheTTL: 0s\n", "    cacheTTL: 2m0s\n");
        check_set("kubeadm nested scalar", in, "authentication.webhook.cacheTTL", S, "2m0s", want,
                  "authentication.webhook.cacheTTL");
        free(want);

        want = replaced(in, "    enabled: false\n", "    enabled: true\n");
        check_set("kubeadm bool", in, "authentication.anonymous.enabled", B, "true", want,
                  "authentication.anonymous.enabled");
        free(want);

        want = replaced(in, "healthzPort: 10248\n", "healthzPort: 10250\n");
        check_set("kubeadm int", in, "healthzPort", I, "10250", want, "healthzPort");
        free(want);
        check_set("kubeadm int already", in, "healthzPort", I, "10248", NULL, NULL);
        want = replaced(in, "healthzPort: 10248\n", "healthzPort: \"10248\"\n");
        check_set("kubeadm int as string", in, "healthzPort", S, "10248", want, "healthzPort");
        free(want);

        want = replaced(in, "    clientCAFile: /etc/kubernetes/pki/ca.crt\n",
                        "    clientCAFile: /etc/kubernetes/pki/ca.crt\n    newKey: x\n");
        check_set("kubeadm insert at depth 2", in, "authentication.x509.newKey", S, "x", want,
                  "authentication.x509.newKey");
        free(want);

        want = replaced(in, "      infoBufferSize: \"0\"\n  verbosity: 0\n",
                        "      infoBufferSize: \"0\"\n    text:\n      infoBufferSize: \"0\"\n  verbosity: 0\n");
        check_set("kubeadm insert with a new parent", in, "logging.options.text.infoBufferSize", S, "0", want,
                  "logging.options.text.infoBufferSize");
        free(want);
        check_set("kubeadm quoted \"0\" is the string 0", in, "logging.options.json.infoBufferSize", S, "0", NULL,
                  NULL);
        want = replaced(in, "      infoBufferSize: \"0\"\n", "      infoBufferSize: 0\n");
        check_set("kubeadm quoted \"0\" is not the int 0", in, "logging.options.json.infoBufferSize", I, "0", want,
                  "logging.options.json.infoBufferSize");
        free(want);
        check_set("kubeadm int 0 already", in, "logging.flushFrequency", I, "0", NULL, NULL);
        check_set("kubeadm plain IP is the string", in, "healthzBindAddress", S, "127.0.0.1", NULL, NULL);
        want = replaced(in, "healthzBindAddress: 127.0.0.1\n", "healthzBindAddress: 0.0.0.0\n");
        check_set("kubeadm IP written plain", in, "healthzBindAddress", S, "0.0.0.0", want, "healthzBindAddress");
        free(want);

        check_refused("kubeadm sequence target", in, strlen(in), "clusterDNS", S, "10.96.0.11", -EINVAL,
                      "17:1: \"clusterDNS\" is a sequence, not a scalar");
        check_refused("kubeadm path through a sequence", in, strlen(in), "clusterDNS.first", S, "x", -EINVAL,
                      "17:1: \"clusterDNS\" is a sequence, not a mapping");
        check_refused("kubeadm mapping target", in, strlen(in), "authentication", S, "x", -EINVAL,
                      "3:3: \"authentication\" is a mapping, not a scalar");
        check_refused("kubeadm path through a scalar", in, strlen(in), "cgroupDriver.x", S, "x", -EINVAL,
                      "15:15: \"cgroupDriver\" is a scalar, not a mapping");
        free(in);
}

static void test_hand_edited_config(void) {
        char *in = read_fixture("yaml-edit/hand-edited-kubelet-config.yaml", NULL), *want;

        want = replaced(in, "cgroupDriver: 'cgroupfs'  # was: systemd\n", "cgroupDriver: 'systemd'  # was: systemd\n");
        check_set("hand single quotes and comment kept", in, "cgroupDriver", S, "systemd", want, "cgroupDriver");
        free(want);
        want = replaced(in, "cgroupDriver: 'cgroupfs'  #", "cgroupDriver: 'it''s'  #");
        check_set("hand single quote escaped", in, "cgroupDriver", S, "it's", want, "cgroupDriver");
        free(want);
        want = replaced(in, "cgroupDriver: 'cgroupfs'  #", "cgroupDriver: \"a\\nb\"  #");
        check_set("hand newline does not fit single quotes", in, "cgroupDriver", S, "a\nb", want, "cgroupDriver");
        free(want);
        want = replaced(in, "resolvConf: \"/run/systemd/resolve/resolv.conf\"\n", "resolvConf: \"/etc/resolv.conf\"\n");
        check_set("hand double quotes kept", in, "resolvConf", S, "/etc/resolv.conf", want, "resolvConf");
        free(want);

        /* "no" is false to kubelet (YAML 1.1) and a string to YAML 1.2: written out plainly. */
        want = replaced(in, "        enabled: no\n", "        enabled: false\n");
        check_set("hand YAML 1.1 no rewritten", in, "authentication.anonymous.enabled", B, "false", want,
                  "authentication.anonymous.enabled");
        free(want);
        check_set("hand !!bool \"false\" is bool false", in, "failSwapOn", B, "false", NULL, NULL);
        want = replaced(in, "failSwapOn: !!bool \"false\"\n", "failSwapOn: true\n");
        check_set("hand tag replaced with the value", in, "failSwapOn", B, "true", want, "failSwapOn");
        free(want);
        check_set("hand !!str 12345 is the string", in, "providerID", S, "12345", NULL, NULL);

        want = replaced(in, "{cpu: 100m, memory: 256Mi}   #", "{cpu: 100m, memory: 256Mi, ephemeral-storage: 1Gi}   #");
        check_set("hand flow insert", in, "kubeReserved.ephemeral-storage", S, "1Gi", want,
                  "kubeReserved.ephemeral-storage");
        free(want);
        want = replaced(in, "{cpu: 100m,", "{cpu: 150m,");
        check_set("hand flow replace", in, "kubeReserved.cpu", S, "150m", want, "kubeReserved.cpu");
        free(want);
        want = replaced(in, "memory: 256Mi}", "memory: 256Mi, pid: \"a,b\"}");
        check_set("hand flow value quoted", in, "kubeReserved.pid", S, "a,b", want, "kubeReserved.pid");
        free(want);
        want = replaced(in, "    memory: 512Mi,\n}", "    memory: 512Mi, pid: 1000,\n}");
        check_set("hand multi-line flow insert", in, "systemReserved.pid", I, "1000", want, "systemReserved.pid");
        free(want);

        want = replaced(in, "    NodeSwap: true\n", "    NodeSwap: true\n    KubeletInUserNamespace: true\n");
        check_set("hand insert keeps 4-space indentation", in, "featureGates.KubeletInUserNamespace", B, "true",
                  want, "featureGates.KubeletInUserNamespace");
        free(want);
        want = replaced(in, "    NodeSwap: true\n", "    NodeSwap: true\nmemorySwap:\n    swapBehavior: LimitedSwap\n");
        check_set("hand nested insert, memorySwap missing", in, "memorySwap.swapBehavior", S, "LimitedSwap", want,
                  "memorySwap.swapBehavior");
        free(want);

        want = replaced(in, "    nodefs.available:  '10%'\n", "    nodefs.available:  '5%'\n");
        check_set("hand quoted key with a dot", in, "evictionHard.\"nodefs.available\"", S, "5%", want, NULL);
        free(want);
        want = replaced(in, "    nodefs.inodesFree: 5%\n", "    nodefs.inodesFree: 5%\n    imagefs.available: 15%\n");
        check_set("hand insert key with a dot", in, "evictionHard.\"imagefs.available\"", S, "15%", want, NULL);
        free(want);

        check_refused("hand block scalar", in, strlen(in), "banner", S, "x", -EINVAL,
                      "25:9: the value of \"banner\" is a block scalar, not editing it");
        free(in);
}

static void test_small_files(void) {
        check_set("empty file", "", "cgroupDriver", S, "systemd", "cgroupDriver: systemd\n", "cgroupDriver");
        check_set("empty file, nested", "", "memorySwap.swapBehavior", S, "LimitedSwap",
                  "memorySwap:\n  swapBehavior: LimitedSwap\n", "memorySwap.swapBehavior");
        check_set("only comments", "# kubelet config\n\n# more\n", "failSwapOn", B, "false",
                  "# kubelet config\n\n# more\nfailSwapOn: false\n", "failSwapOn");
        check_set("comment without newline", "# no newline", "failSwapOn", B, "false",
                  "# no newline\nfailSwapOn: false\n", "failSwapOn");
        check_set("empty document with ---", "---\n# doc\n", "kind", S, "KubeletConfiguration",
                  "---\n# doc\nkind: KubeletConfiguration\n", "kind");
        check_set("no final newline, insert", "a: 1", "b", I, "2", "a: 1\nb: 2\n", "b");
        check_set("no final newline, replace", "a: 1", "a", I, "2", "a: 2", "a");
        check_set("empty value", "a:\nb: 1\n", "a", S, "x", "a: x\nb: 1\n", "a");
        check_set("empty value with comment", "a:   # set me\nb: 1\n", "a", S, "x", "a: x   # set me\nb: 1\n", "a");
        check_set("root flow mapping", "{a: 1}\n", "b", S, "x", "{a: 1, b: x}\n", "b");
        check_set("root empty flow mapping, nested", "{}\n", "a.b", I, "1", "{a: {b: 1}}\n", "a.b");
        check_set("insert after a block scalar", "a:\n  text: |\n    x\n    y\nb: 1\n", "a.z", I, "1",
                  "a:\n  text: |\n    x\n    y\n  z: 1\nb: 1\n", "a.z");
        check_set("insert after a nested sequence", "a:\n  list:\n  - 1\n  - 2\n# c\nb: 1\n", "a.z", I, "1",
                  "a:\n  list:\n  - 1\n  - 2\n  z: 1\n# c\nb: 1\n", "a.z");
}

static void test_crlf_utf8_bom(void) {
        const char *crlf = "apiVersion: v1\r\nkind: KubeletConfiguration\r\nauthentication:\r\n  webhook:\r\n"
                           "    enabled: true\r\n";
        const char *utf8 = "description: \"Nœud géré — ✓ 😀\"\ncgroupDriver: cgroupfs # café ☕\nz: 1\n";
        const char *bom = "\xef\xbb\xbf# ünïcode\nkind: X\ncgroupDriver: cgroupfs\n";
        char *want;

        want = concat(crlf, "cgroupDriver: systemd\r\n");
        check_set("CRLF insert", crlf, "cgroupDriver", S, "systemd", want, "cgroupDriver");
        free(want);
        want = concat(crlf, "    cacheTTL: 2m0s\r\n");
        check_set("CRLF nested insert", crlf, "authentication.webhook.cacheTTL", S, "2m0s", want,
                  "authentication.webhook.cacheTTL");
        free(want);
        want = concat(crlf, "cgroupDriver:\r\n  x: 1\r\n");
        check_set("CRLF new parent", crlf, "cgroupDriver.x", I, "1", want, "cgroupDriver.x");
        free(want);
        want = replaced(crlf, "kind: KubeletConfiguration\r\n", "kind: Other\r\n");
        check_set("CRLF replace", crlf, "kind", S, "Other", want, "kind");
        free(want);

        want = replaced(utf8, "cgroupDriver: cgroupfs #", "cgroupDriver: systemd #");
        check_set("UTF-8 before the edit", utf8, "cgroupDriver", S, "systemd", want, "cgroupDriver");
        free(want);
        want = replaced(utf8, "\"Nœud géré — ✓ 😀\"", "\"Größe ✓\"");
        check_set("UTF-8 value replaced", utf8, "description", S, "Größe ✓", want, "description");
        free(want);
        want = replaced(utf8, "z: 1\n", "z: 2\n");
        check_set("UTF-8 everywhere before", utf8, "z", I, "2", want, "z");
        free(want);
        want = concat(utf8, "new: é\n");
        check_set("UTF-8 insert", utf8, "new", S, "é", want, "new");
        free(want);

        want = replaced(bom, "cgroupDriver: cgroupfs\n", "cgroupDriver: systemd\n");
        check_set("BOM kept, offsets right", bom, "cgroupDriver", S, "systemd", want, "cgroupDriver");
        free(want);
        check_set("BOM only", "\xef\xbb\xbf", "a", I, "1", "\xef\xbb\xbf" "a: 1\n", "a");
}

/* Strings that must not be written plain: each would read back as another type or string. */
static void test_quoting(void) {
        static const struct {
                const char *text, *written;
        } cases[] = {
                { "yes", "\"yes\"" },           { "No", "\"No\"" },
                { "on", "\"on\"" },             { "y", "\"y\"" },
                { "~", "\"~\"" },               { "null", "\"null\"" },
                { "", "\"\"" },                 { "true", "\"true\"" },
                { "10", "\"10\"" },             { "-5", "\"-5\"" },
                { "1.5", "\"1.5\"" },           { "1e3", "\"1e3\"" },
                { ".inf", "\".inf\"" },         { "0x1F", "\"0x1F\"" },
                { "0o17", "\"0o17\"" },         { "1:30", "\"1:30\"" },
                { "1_000", "\"1_000\"" },       { "1.", "\"1.\"" },
                { "-.5e-3", "\"-.5e-3\"" },     { "190:20:30", "\"190:20:30\"" },
                { "2001-12-14", "\"2001-12-14\"" }, { "<<", "\"<<\"" },
                { "a: b", "\"a: b\"" },         { "a #b", "\"a #b\"" },
                { "#x", "\"#x\"" },             { "*x", "\"*x\"" },
                { "&x", "\"&x\"" },             { "!x", "\"!x\"" },
                { "@x", "\"@x\"" },             { "`x", "\"`x\"" },
                { "%x", "\"%x\"" },             { "|x", "\"|x\"" },
                { ">x", "\">x\"" },             { "'x", "\"'x\"" },
                { "\"x", "\"\\\"x\"" },         { "- x", "\"- x\"" },
                { "[a]", "\"[a]\"" },           { "{a}", "\"{a}\"" },
                { "?x", "\"?x\"" },             { "x:", "\"x:\"" },
                { " lead", "\" lead\"" },       { "trail ", "\"trail \"" },
                { "tab\there", "\"tab\\there\"" }, { "line\nbreak", "\"line\\nbreak\"" },
                { "\x01", "\"\\x01\"" },        { "nel\xc2\x85", "\"nel\\N\"" },
                { "\"a\\b", "\"\\\"a\\\\b\"" },
                /* a quote inside a plain scalar is just a character */
                { "back\\slash\"", "back\\slash\"" },
                /* and these are fine plain */
                { "systemd", "systemd" },       { "10Mi", "10Mi" },
                { "2m0s", "2m0s" },             { "15%", "15%" },
                { "a#b", "a#b" },               { "a:b", "a:b" },
                { "back\\slash", "back\\slash" }, { "v1.28.3", "v1.28.3" },
                { "10.96.0.10", "10.96.0.10" }, { "1.2.3", "1.2.3" },
                { ".", "." },                   { "1e", "1e" },
                { "Größe", "Größe" },           { "unix:///run/containerd/containerd.sock",
                                                  "unix:///run/containerd/containerd.sock" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *what, *want;
                if (asprintf(&what, "quoting, written as %s", cases[i].written) < 0 ||
                    asprintf(&want, "key: %s # note\nnext: 1\n", cases[i].written) < 0)
                        abort();
                check_set(what, "key: old # note\nnext: 1\n", "key", S, cases[i].text, want, "key");
                free(what);
                free(want);
        }
}

static void test_typed_equality(void) {
        check_set("false is bool false", "failSwapOn: false\n", "failSwapOn", B, "false", NULL, NULL);
        check_set("False is bool false", "failSwapOn: False\n", "failSwapOn", B, "false", NULL, NULL);
        check_set("false is not string false", "failSwapOn: false\n", "failSwapOn", S, "false",
                  "failSwapOn: \"false\"\n", "failSwapOn");
        check_set("\"false\" is not bool false", "failSwapOn: \"false\"\n", "failSwapOn", B, "false",
                  "failSwapOn: false\n", "failSwapOn");
        check_set("\"false\" is string false", "failSwapOn: \"false\"\n", "failSwapOn", S, "false", NULL, NULL);
        check_set("yes is rewritten as true", "failSwapOn: yes\n", "failSwapOn", B, "true", "failSwapOn: true\n",
                  "failSwapOn");
        check_set("110 is int 110", "maxPods: 110\n", "maxPods", I, "110", NULL, NULL);
        check_set("+110 is int 110", "maxPods: +110\n", "maxPods", I, "110", NULL, NULL);
        check_set("0110 is rewritten (octal to YAML 1.1)", "maxPods: 0110\n", "maxPods", I, "110",
                  "maxPods: 110\n", "maxPods");
        check_set("'110' is not int 110", "maxPods: '110'\n", "maxPods", I, "110", "maxPods: 110\n", "maxPods");
        check_set("'110' is string 110", "maxPods: '110'\n", "maxPods", S, "110", NULL, NULL);
        check_set("int written canonical", "maxPods: 1\n", "maxPods", I, "+250", "maxPods: 250\n", NULL);
        check_set("int 0110 written as 110", "maxPods: 1\n", "maxPods", I, "0110", "maxPods: 110\n", NULL);
        check_set("int 0110 equals 110", "maxPods: 110\n", "maxPods", I, "0110", NULL, NULL);
        check_set("huge int is not equal", "maxPods: 99999999999999999999\n", "maxPods", I, "9223372036854775807",
                  "maxPods: 9223372036854775807\n", "maxPods");
}

static void test_refusals(void) {
        static const char utf16[] = "\xff\xfe" "a\0:\0 \0" "1\0";

        check_refused("two documents", "a: 1\n---\nb: 2\n", 14, "a", I, "2", -EINVAL,
                      "2:1: file holds more than one YAML document, not editing it");
        check_refused("syntax error", "a: [1, 2\nb: 3\n", 14, "a", I, "2", -EBADMSG, NULL);
        check_refused("alias target", "base: &b systemd\ncgroupDriver: *b\n", 34, "cgroupDriver", S, "x", -EINVAL,
                      "2:15: the value of \"cgroupDriver\" is an alias, not editing through it");
        check_refused("anchored target", "base: &b systemd\ncgroupDriver: *b\n", 34, "base", S, "x", -EINVAL,
                      "1:7: the value of \"base\" has an anchor, not editing it");
        check_refused("duplicate key", "a: 1\na: 2\n", 10, "a", I, "3", -EINVAL, "2:1: duplicate key \"a\"");
        check_refused("top-level sequence", "- a\n- b\n", 8, "a", I, "3", -EINVAL,
                      "1:1: the top level is a sequence, not a mapping");
        check_refused("top-level scalar", "just text\n", 10, "a", I, "3", -EINVAL,
                      "1:1: the top level is a scalar, not a mapping");
        check_refused("path through a scalar", "a: 1\n", 5, "a.b", I, "3", -EINVAL,
                      "1:4: \"a\" is a scalar, not a mapping");
        check_refused("path through null", "a:\nb: 1\n", 8, "a.b", I, "3", -EINVAL, "1:3: \"a\" is empty, not a mapping");
        check_refused("path through a sequence item", "items:\n- name: a\n", 17, "items.name", S, "x", -EINVAL,
                      "2:1: \"items\" is a sequence, not a mapping");
        check_refused("empty key path component", "a: 1\n", 5, "a..b", I, "3", -EINVAL, "invalid key path \"a..b\"");
        check_refused("unterminated quoted key", "a: 1\n", 5, "a.\"b", I, "3", -EINVAL, "invalid key path \"a.\"b\"");
        check_refused("invalid bool", "a: 1\n", 5, "a", B, "yes", -EINVAL, "\"yes\" is not a valid bool value");
        check_refused("invalid int", "a: 1\n", 5, "a", I, "1x", -EINVAL, "\"1x\" is not a valid int value");
        check_refused("NUL byte", "a: 1\n\0", 6, "a", I, "2", -EBADMSG, "1:1: file holds a NUL byte, it is not UTF-8 YAML");
        check_refused("UTF-16", utf16, sizeof(utf16) - 1, "a", I, "2", -EBADMSG, "1:1: UTF-16 files are not supported");

        char deep[200] = "a: ";
        for (size_t i = 0; i < 40; i++)
                strcat(deep, "[");
        for (size_t i = 0; i < 40; i++)
                strcat(deep, "]");
        check_refused("nesting too deep", deep, strlen(deep), "a", I, "2", -ELOOP, NULL);

        /* A complex key puts the value under "? "; the inserted line lands at the wrong indentation
         * and the check after splicing catches it. */
        check_refused("explicit key", "? a\n: 1\n", 8, "b", I, "2", -EINVAL, NULL);
}

static void test_get(void) {
        char *in = read_fixture("yaml-edit/kubeadm-kubelet-config.yaml", NULL), *value = NULL, *error = NULL;
        int r;

        r = yaml_edit_get(in, strlen(in), "cgroupDriver", &value, &error);
        is_int(r, 1, "get: found");
        is_str(value, "systemd", "get: value");
        free(value);
        value = NULL;
        r = yaml_edit_get(in, strlen(in), "containerRuntimeEndpoint", &value, &error);
        is_int(r, 1, "get: empty string found");
        is_str(value, "", "get: empty string");
        free(value);
        value = NULL;
        r = yaml_edit_get(in, strlen(in), "memorySwap.swapBehavior", &value, &error);
        ok(r == 0 && !value, "get: missing in {}");
        r = yaml_edit_get(in, strlen(in), "authentication", &value, &error);
        is_int(r, -EMEDIUMTYPE, "get: mapping is not a scalar");
        is_str(error, "3:3: \"authentication\" is a mapping, not a scalar", "get: error");
        free(error);
        error = NULL;
        r = yaml_edit_get("", 0, "a", &value, &error);
        ok(r == 0 && !value && !error, "get: empty file");
        free(in);
}

static void test_edit_value(void) {
        is_str(edit_value_type_name(EDIT_VALUE_BOOL), "bool", "type name bool");
        is_int(edit_value_type_from_string("int"), EDIT_VALUE_INT, "type int");
        is_int(edit_value_type_from_string("string"), EDIT_VALUE_STRING, "type string");
        is_int(edit_value_type_from_string("float"), -EINVAL, "type float refused");
        is_int(edit_value_check(&(EditValue) { B, "true" }), 0, "bool true");
        is_int(edit_value_check(&(EditValue) { B, "yes" }), -EINVAL, "bool yes refused");
        is_int(edit_value_check(&(EditValue) { B, "True" }), -EINVAL, "bool True refused");
        is_int(edit_value_check(&(EditValue) { I, "-9223372036854775808" }), 0, "int min");
        is_int(edit_value_check(&(EditValue) { I, "9223372036854775808" }), -EINVAL, "int overflow");
        is_int(edit_value_check(&(EditValue) { I, "1x" }), -EINVAL, "int 1x");
        is_int(edit_value_check(&(EditValue) { I, " 1" }), -EINVAL, "int with space");
        is_int(edit_value_check(&(EditValue) { I, "" }), -EINVAL, "int empty");
        is_int(edit_value_check(&(EditValue) { I, "010" }), 0, "int leading zero is decimal");
        is_int(edit_value_check(&(EditValue) { I, "0x10" }), -EINVAL, "int hex refused");
        is_int(edit_value_check(&(EditValue) { S, "" }), 0, "string empty");
}

int main(void) {
        test_edit_value();
        test_kubeadm_config();
        test_hand_edited_config();
        test_small_files();
        test_crlf_utf8_bom();
        test_quoting();
        test_typed_equality();
        test_refusals();
        test_get();
        return tap_done();
}
