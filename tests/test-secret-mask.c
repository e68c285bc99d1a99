/* SPDX-License-Identifier: MIT */
/*
 * Secrets masked by meaning: kubeconfigs in every YAML style and in JSON (parsed, not matched by
 * line), Environment= assignments, credentials in URLs, the notes actions print, and --json
 * documents where a value is secret by its place (secret_mask_json()).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/diff.h"
#include "remedy/macro.h"
#include "remedy/secret-mask.h"
#include "tap.h"

#define KEY "S3CR3T-KEY-BODY-0123456789"

/* Masks text and checks that no piece of what must go is left and all of what must stay is. */
static void check_masked(const char *name, const char *text, const char *const *gone, const char *const *kept) {
        _cleanup_free_ char *masked = text_mask_secrets(text, strlen(text));
        bool leaked = false, lost = false;

        ok(masked != NULL, "%s: masked", name);
        if (!masked)
                return;
        for (const char *const *g = gone; *g; g++)
                if (strstr(masked, *g)) {
                        diag("%s: still shows %s in:\n%s", name, *g, masked);
                        leaked = true;
                }
        for (const char *const *k = kept; k && *k; k++)
                if (!strstr(masked, *k)) {
                        diag("%s: lost %s in:\n%s", name, *k, masked);
                        lost = true;
                }
        ok(!leaked, "%s: no secret shown", name);
        ok(!lost, "%s: everything else shown", name);

        /* A diff from nothing prints every line: the same marks must hold there. */
        _cleanup_free_ char *diff = NULL;
        ok(diff_unified_string("", 0, text, strlen(text), "/dev/null", "new", &diff) == 1, "%s: diffed", name);
        leaked = false;
        for (const char *const *g = gone; diff && *g; g++)
                leaked = leaked || strstr(diff, *g);
        ok(diff && !leaked, "%s: the diff shows no secret", name);
}

static void test_kubeconfig_styles(void) {
        static const char *const gone[] = { KEY, "0123456789", NULL };
        static const char *const kept[] = { "https://192.0.2.1:6443", "client-key-data", NULL };
        static const char *const kept_server[] = { "https://192.0.2.1:6443", NULL };

        check_masked("JSON on one line",
                     "{\"kind\":\"Config\",\"clusters\":[{\"name\":\"k\",\"cluster\":{\"server\":\"https://192.0.2.1:6443\"}}],"
                     "\"users\":[{\"name\":\"x\",\"user\":{\"client-key-data\":\"" KEY "\"}}]}\n",
                     gone, kept);
        check_masked("flow style", "users: [{name: x, user: {client-key-data: " KEY "}}]\nserver: https://192.0.2.1:6443\n",
                     gone, kept);
        check_masked("\\u escape in the key",
                     "server: https://192.0.2.1:6443\nusers:\n- user:\n    \"client-key-\\u0064ata\": " KEY "\n", gone,
                     kept_server);
        check_masked("\\x escape in the key",
                     "server: https://192.0.2.1:6443\nusers:\n- user: {\"client\\x2dkey-data\": \"" KEY "\"}\n", gone,
                     kept_server);
        check_masked("explicit key", "server: https://192.0.2.1:6443\nusers:\n- user:\n    ? client-key-data\n    : " KEY "\n",
                     gone, kept);
        check_masked("value folded over lines",
                     "server: https://192.0.2.1:6443\nusers: [{user: {client-key-data: \"S3CR3T-KEY-\n  BODY-0123456789\"}}]\n",
                     (const char *const[]) { "S3CR3T", "0123456789", NULL }, kept);
        check_masked("key in other case (client-go matches JSON fields so)",
                     "server: https://192.0.2.1:6443\nusers: [{user: {Client-Key-Data: " KEY "}}]\n", gone, kept_server);
        /* Everything in the config is masked where it is; only values secret by their own name are
         * hunted elsewhere, so the client id stays readable in the context's name. */
        check_masked("auth-provider config",
                     "server: https://192.0.2.1:6443\ncurrent-context: kubernetes-cli@k\nusers:\n- user:\n"
                     "    auth-provider:\n      name: oidc\n"
                     "      config: {client-id: kubernetes-cli, idp-issuer-url: \"x-" KEY "\", extra: {k: x-" KEY "}}\n",
                     gone, (const char *const[]) { "oidc", "client-id", "current-context: kubernetes-cli@k", NULL });
        check_masked("exec plugin env and args",
                     "server: https://192.0.2.1:6443\nusers:\n- user:\n    exec:\n      command: get-token\n"
                     "      args: [\"--cluster\", \"c1\", \"--token\", \"" KEY "\", \"--secret-value=" KEY "\"]\n"
                     "      env: [{name: HOME_DIR, value: \"" KEY "\"}]\n",
                     gone, (const char *const[]) { "get-token", "c1", "HOME_DIR", NULL });
        check_masked("alias of an anchored value",
                     "server: https://192.0.2.1:6443\nextra: &k " KEY "\nusers: [{user: {client-key-data: *k}}]\n", gone,
                     kept_server);
        check_masked("value repeated under an innocent key",
                     "server: https://192.0.2.1:6443\nusers: [{user: {token: " KEY "}}]\nnote: " KEY "\n", gone, kept_server);
}

static void test_env_and_urls(void) {
        static const char input[] =
                "[Service]\n"
                "Environment=\"DB_PASSWORD=hunter2 and more\" \"MODE=fast\"\n"
                "Environment=HTTPS_PROXY=http://puller:pa@ss@proxy.example:3128 NO_PROXY=10.0.0.0/8\n"
                "Environment=API_TOKEN=tok123 SSH_KEY=k3y LEVEL=2\n"
                "Environment=HTTP_PROXY=http://proxy.example:3128\n"
                "ExecStart=/usr/bin/kubelet --registry-password=pw1 --token tk2 --v=2\n"
                "ExecStart=/usr/bin/get-token --client-secret-value=cs1 --secret-id sid2 --node-token-x=nt3\n"
                "  registry = { username = \"u\", password = \"p4ss\" }\n"
                "  configs.\"registry.example\".auth.password = \"p5ss\" # dotted\n"
                "DB_PASSWORD='quoted value' OTHER=1\n";
        static const char want[] =
                "[Service]\n"
                "Environment=\"DB_PASSWORD=<redacted>\" \"MODE=fast\"\n"
                "Environment=HTTPS_PROXY=http://<redacted>@proxy.example:3128 NO_PROXY=10.0.0.0/8\n"
                "Environment=API_TOKEN=<redacted> SSH_KEY=<redacted> LEVEL=2\n"
                "Environment=HTTP_PROXY=http://proxy.example:3128\n"
                "ExecStart=/usr/bin/kubelet --registry-password=<redacted> --token <redacted> --v=2\n"
                "ExecStart=/usr/bin/get-token --client-secret-value=<redacted> --secret-id <redacted> --node-token-x=nt3\n"
                "  registry = { username = \"u\", password = <redacted> }\n"
                "  configs.\"registry.example\".auth.password = <redacted> # dotted\n"
                "DB_PASSWORD=<redacted>\n"; /* a secret key at the start of a line: the rest of it */
        _cleanup_free_ char *got = text_mask_secrets(input, sizeof input - 1);
        is_str(got, want, "Environment=, env files, URLs, flags and inline tables: the secrets and nothing else");
}

static void test_notes(void) {
        _cleanup_free_ char *toml = secret_mask("password = new-pw in [plugins.\"cri\".registry.configs.\"r\".auth] (was old-pw)");
        ok(toml && !strstr(toml, "new-pw") && !strstr(toml, "old-pw"), "toml-set note: neither the new nor the old value");

        _cleanup_free_ char *flags = secret_mask("removes --network-plugin=cni, --registry-password=pw1, --token tk2 from "
                                                 "KUBELET_EXTRA_ARGS in /etc/default/kubelet");
        is_str(flags,
               "removes --network-plugin=cni, --registry-password=<redacted> --token <redacted> from KUBELET_EXTRA_ARGS in "
               "/etc/default/kubelet",
               "kubelet-flags note: the flags named, their secret values not");

        _cleanup_free_ char *plain = secret_mask("cgroup driver: SystemdCgroup = true in [x] of /etc/containerd/config.toml");
        is_str(plain, "cgroup driver: SystemdCgroup = true in [x] of /etc/containerd/config.toml", "a note without a secret as it is");
        _cleanup_free_ char *yaml = secret_mask("removes --x from $KUBELET_EXTRA_ARGS in /etc/default/kubelet; "
                                                "users[0].user.token: old-tk → new-tk in /etc/kubernetes/kubelet.conf");
        is_str(yaml, "removes --x from $KUBELET_EXTRA_ARGS in /etc/default/kubelet; users[0].user.token: <redacted>",
               "yaml-set note after another clause: from the secret key on");
        _cleanup_free_ char *evidence = secret_mask("Dec 06 kubelet[12]: E1206 server.go:302] \"Failed\" err=\"x509: expired\" "
                                                    "url=https://10.0.0.1:6443/api");
        is_str(evidence, "Dec 06 kubelet[12]: E1206 server.go:302] \"Failed\" err=\"x509: expired\" url=https://10.0.0.1:6443/api",
               "a journal line without a secret as it is");
        ok(secret_mask(NULL) == NULL, "secret_mask(NULL) is NULL");
}

static void test_json(void) {
        json_object *o = json_tokener_parse(
                "{\"params\": {\"registry_password\": \"pw0\", \"node_name\": \"node01\", \"proxy\": \"http://u:pw1@p:3128\"},"
                " \"argv\": [\"--token\", \"tk2\", \"--v=2\", \"--registry-password=pw3\", \"node01\"],"
                " \"args\": [{\"word\": \"--token\", \"flag\": \"token\", \"value\": \"tk2\"},"
                "            {\"word\": \"--v=2\", \"flag\": \"v\", \"value\": \"2\"}],"
                " \"env\": [{\"name\": \"API_TOKEN\", \"value\": \"tk4\"}],"
                " \"note\": \"removes --registry-password=pw3 from KUBELET_EXTRA_ARGS\","
                " \"diff\": \"kept as made: masked by diff\", \"count\": 3}");
        ok(o != NULL, "JSON parsed");
        secret_mask_json(o);
        is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
               "{\"params\":{\"registry_password\":\"<redacted>\",\"node_name\":\"node01\",\"proxy\":\"http://<redacted>@p:3128\"},"
               "\"argv\":[\"--token\",\"<redacted>\",\"--v=2\",\"--registry-password=<redacted>\",\"node01\"],"
               "\"args\":[{\"word\":\"--token\",\"flag\":\"token\",\"value\":\"<redacted>\"},"
               "{\"word\":\"--v=2\",\"flag\":\"v\",\"value\":\"2\"}],"
               "\"env\":[{\"name\":\"API_TOKEN\",\"value\":\"<redacted>\"}],"
               "\"note\":\"removes --registry-password=<redacted> from KUBELET_EXTRA_ARGS\","
               "\"diff\":\"kept as made: masked by diff\",\"count\":3}",
               "secret_mask_json(): values secret by name, by place and by content; nothing else");
        json_object_put(o);
}

int main(void) {
        test_kubeconfig_styles();
        test_env_and_urls();
        test_notes();
        test_json();
        return tap_done();
}
