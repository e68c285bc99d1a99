/* SPDX-License-Identifier: MIT */
/*
 * The join check's parsers (remedy/join/join-files.c): the server URL as the kubelet's client
 * takes it apart, kubeadm join's HOST:PORT (diagnose --api-server), and the bootstrap token's form (k8s.io/cluster-bootstrap BootstrapTokenPattern).
 */
#include <stdlib.h>

#include "remedy/join-check.h"
#include "tap.h"

static void test_server(const char *url, const char *host, const char *port) {
        char *h = NULL, *p = NULL, *error = NULL;
        int r = join_parse_server(url, &h, &p, &error);
        if (host) {
                ok(r == 0, "%s parses%s%s", url, error ? ": " : "", error ? error : "");
                is_str(h, host, "%s: host", url);
                is_str(p, port, "%s: port", url);
        } else {
                ok(r == -EINVAL && error, "%s is refused: %s", url, error ? error : "(no error)");
        }
        free(h);
        free(p);
        free(error);
}

/* kubeadm join's API server argument: HOST:PORT, the port required. */
static void test_api_server(const char *value, const char *host, const char *port) {
        char *h = NULL, *p = NULL, *error = NULL;
        int r = join_parse_api_server(value, &h, &p, &error);
        if (host) {
                ok(r == 0, "--api-server=%s parses%s%s", value, error ? ": " : "", error ? error : "");
                is_str(h, host, "--api-server=%s: host", value);
                is_str(p, port, "--api-server=%s: port", value);
        } else
                ok(r == -EINVAL && error, "--api-server=%s is refused: %s", value, error ? error : "(no error)");
        free(h);
        free(p);
        free(error);
}

int main(void) {
        test_api_server("127.0.0.1:6443", "127.0.0.1", "6443");
        test_api_server("cp.example.com:6443", "cp.example.com", "6443");
        test_api_server("[2001:db8::1]:6443", "2001:db8::1", "6443");
        test_api_server("127.0.0.1", NULL, NULL);
        test_api_server("2001:db8::1", NULL, NULL);
        test_api_server("[2001:db8::1]", NULL, NULL);
        test_api_server("https://127.0.0.1:6443", NULL, NULL);
        test_api_server("127.0.0.1:6443/api", NULL, NULL);
        test_api_server("127.0.0.1:0", NULL, NULL);
        test_api_server("127.0.0.1:", NULL, NULL);
        test_api_server(":6443", NULL, NULL);
        test_api_server("", NULL, NULL);

        test_server("https://192.0.2.1:6443", "192.0.2.1", "6443");
        test_server("https://cp.example.com", "cp.example.com", "443");
        test_server("https://cp.example.com:6443/", "cp.example.com", "6443");
        test_server("https://[2001:db8::1]:6443", "2001:db8::1", "6443");
        test_server("https://[2001:db8::1]", "2001:db8::1", "443");
        test_server("http://192.0.2.1:6443", NULL, NULL);
        test_server("https://192.0.2.1:0", NULL, NULL);
        test_server("https://192.0.2.1:65536", NULL, NULL);
        test_server("https://192.0.2.1:64x", NULL, NULL);
        test_server("https://:6443", NULL, NULL);
        test_server("https://user:pw@192.0.2.1:6443", NULL, NULL);
        test_server("https://[2001:db8::1:6443", NULL, NULL);
        test_server("https://evil host:6443", NULL, NULL);
        {
                char *h = NULL, *p = NULL, *error = NULL;
                ok(join_parse_server("https://evil\r\nX-Injected: 1:6443", &h, &p, &error) == -EINVAL,
                   "a host with CR LF is refused: it would end a line of the request");
                free(h);
                free(p);
                free(error);
        }
        test_server("", NULL, NULL);

        ok(bootstrap_token_valid_format("abcdef.0123456789abcdef"), "abcdef.0123456789abcdef is a bootstrap token");
        ok(!bootstrap_token_valid_format("ABCDEF.0123456789abcdef"), "upper case is not");
        ok(!bootstrap_token_valid_format("abcdef0123456789abcdefg"), "without the dot it is not");
        ok(!bootstrap_token_valid_format("abcde.0123456789abcdef0"), "a 5-character ID is not");
        ok(!bootstrap_token_valid_format("abcdef.0123456789abcde"), "a 15-character secret is not");
        ok(!bootstrap_token_valid_format("abcdef.0123456789abcdef "), "a trailing space is not");
        ok(!bootstrap_token_valid_format(NULL), "no token is not");
        return tap_done();
}
