/* SPDX-License-Identifier: MIT */
/*
 * What a node names the API server and itself to it by: a kubeconfig's server URL or
 * --api-server's HOST:PORT, and a bootstrap token's format.
 */
#include "join-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bootstrap_token_valid_format(const char *token) {
        /* k8s.io/cluster-bootstrap/token/api: BootstrapTokenPattern "^([a-z0-9]{6})\.([a-z0-9]{16})$" */
        if (!token || strlen(token) != 23 || token[6] != '.')
                return 0;
        for (size_t i = 0; i < 23; i++)
                if (i != 6 && !(islower((unsigned char) token[i]) || isdigit((unsigned char) token[i])))
                        return 0;
        return 1;
}

int join_parse_server(const char *url, char **ret_host, char **ret_port, char **ret_error) {
        _cleanup_free_ char *host = NULL, *port = NULL;
        const char *p, *end;

        if (!url || !*url)
                return (*ret_error = strdup("no server URL")) ? -EINVAL : -ENOMEM;
        if (!startswith(url, "https://"))
                return asprintf(ret_error, "'%s' is not an https:// URL (the kubelet only talks TLS to the API server)",
                                url) < 0 ? -ENOMEM : -EINVAL;
        p = url + strlen("https://");
        end = p + strcspn(p, "/?#");
        if (memchr(p, '@', (size_t) (end - p)))
                return asprintf(ret_error, "'%s' has user information in it", url) < 0 ? -ENOMEM : -EINVAL;
        const char *port_at = NULL;
        if (*p == '[') {
                const char *close = memchr(p, ']', (size_t) (end - p));
                if (!close)
                        return asprintf(ret_error, "'%s': unterminated [IPv6 address]", url) < 0 ? -ENOMEM : -EINVAL;
                host = strndup(p + 1, (size_t) (close - p - 1));
                if (close + 1 < end && close[1] != ':')
                        return asprintf(ret_error, "'%s': junk after the [IPv6 address]", url) < 0 ? -ENOMEM : -EINVAL;
                if (close + 1 < end)
                        port_at = close + 2;
        } else {
                const char *colon = memchr(p, ':', (size_t) (end - p));
                host = strndup(p, (size_t) ((colon ?: end) - p));
                if (colon)
                        port_at = colon + 1;
        }
        if (!host)
                return -ENOMEM;
        if (!*host)
                return asprintf(ret_error, "'%s' has no host", url) < 0 ? -ENOMEM : -EINVAL;
        /* a name or an address; nothing that could end a line of the HTTP request */
        if (host[strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%")])
                return asprintf(ret_error, "'%s': the host is not a name or an address", url) < 0 ? -ENOMEM : -EINVAL;
        if (port_at) {
                port = strndup(port_at, (size_t) (end - port_at));
                if (!port)
                        return -ENOMEM;
                char *e;
                unsigned long n = strtoul(port, &e, 10);
                if (!*port || *e || n == 0 || n > 65535)
                        return asprintf(ret_error, "'%s': the port '%s' is not a number from 1 to 65535", url, port) < 0
                                       ? -ENOMEM : -EINVAL;
        } else if (!(port = strdup("443")))
                return -ENOMEM;
        *ret_host = TAKE_PTR(host);
        *ret_port = TAKE_PTR(port);
        return 0;
}

int join_parse_api_server(const char *value, char **ret_host, char **ret_port, char **ret_error) {
        _cleanup_free_ char *url = NULL, *host = NULL, *port = NULL, *error = NULL;
        int r;

        /* kubeadm join takes HOST:PORT, not a URL: a scheme or a path is a mistake to name. */
        if (!value || !*value || strstr(value, "://") || strchr(value, '/'))
                return asprintf(ret_error, "'%s' is not HOST:PORT (kubeadm join's API server endpoint, such as 10.0.0.1:6443)",
                                strempty(value)) < 0 ? -ENOMEM : -EINVAL;
        const char *close = value[0] == '[' ? strchr(value, ']') : NULL;
        const char *colon = strrchr(close ?: value, ':');
        if (!colon || (!close && strchr(value, ':') != colon))
                return asprintf(ret_error, "'%s' has no port: give HOST:PORT, as kubeadm join takes it (such as %s%s%s:6443)",
                                value, close || strchr(value, ':') ? "[" : "", value, close || strchr(value, ':') ? "]" : "")
                               < 0 ? -ENOMEM : -EINVAL;
        if (asprintf(&url, "https://%s", value) < 0)
                return -ENOMEM;
        r = join_parse_server(url, &host, &port, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return asprintf(ret_error, "'%s' is not HOST:PORT: %s", value, strempty(error)) < 0 ? -ENOMEM : -EINVAL;
        *ret_host = TAKE_PTR(host);
        *ret_port = TAKE_PTR(port);
        return 0;
}
