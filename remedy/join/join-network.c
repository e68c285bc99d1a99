/* SPDX-License-Identifier: MIT */
/*
 * The network layers of the join check, live only: the server's host resolved (saying by what:
 * an /etc/hosts line or the DNS servers of /etc/resolv.conf), a TCP connection to it (with the
 * local address and interface the kernel picks), then TLS and the API requests (join-tls.c), and
 * the clock.
 */
#include "join-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "remedy/context.h"
#include "remedy/kubeconfig.h"
#include "remedy/strv.h"
#include "remedy/systemd-bus.h"

/* The /etc/hosts line that names host ("/etc/hosts:3: 10.0.0.1 cp.example cp"), or NULL. */
static char *hosts_line(Context *c, const char *host) {
        const NodeFile *f;
        if (ctx_read(c, "/etc/hosts", true, &f) < 0 || f->kind != FILE_REGULAR)
                return NULL;
        unsigned line = 0;
        for (const char *p = f->data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                line++;
                size_t n = strcspn(p, "\n#");
                _cleanup_free_ char *copy = strndup(p, n);
                if (!copy)
                        return NULL;
                char *save = NULL, *word = strtok_r(copy, " \t\r", &save);
                if (!word)
                        continue;
                for (char *name; (name = strtok_r(NULL, " \t\r", &save));)
                        if (strcasecmp(name, host) == 0) {
                                char *r = NULL;
                                _cleanup_free_ char *text = strndup(p, strcspn(p, "\n"));
                                if (text && asprintf(&r, "/etc/hosts:%u: %s", line, text) < 0)
                                        r = NULL;
                                return r;
                        }
        }
        return NULL;
}

/* "the DNS server 10.0.0.2 (/etc/resolv.conf)" */
static char *resolvers(Context *c) {
        _cleanup_strv_free_ char **servers = NULL;
        const NodeFile *f;
        char *r = NULL;

        if (ctx_read(c, "/etc/resolv.conf", true, &f) < 0 || f->kind != FILE_REGULAR)
                return strdup("DNS, but /etc/resolv.conf is missing (glibc then asks 127.0.0.1)");
        for (const char *p = f->data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                char server[128];
                if (sscanf(p, "nameserver %127s", server) == 1 && strv_extend(&servers, server) < 0)
                        return NULL;
        }
        if (!servers)
                return strdup("DNS, but /etc/resolv.conf names no nameserver (glibc then asks 127.0.0.1)");
        _cleanup_free_ char *list = join_words(servers, ", ");
        bool stub = strv_contains(servers, "127.0.0.53");
        if (!list || asprintf(&r, "the DNS server%s %s (/etc/resolv.conf)%s", servers[1] ? "s" : "", list,
                              stub ? ": systemd-resolved's stub, see resolvectl status" : "") < 0)
                return NULL;
        return r;
}

/* "/etc/nsswitch.conf:12: hosts: files dns": the sources glibc's getaddrinfo() asks, in order;
 * NULL when the file or the line is missing (glibc then asks dns, then files). */
static char *nss_hosts_line(Context *c) {
        const NodeFile *f;
        unsigned line = 0;
        if (ctx_read(c, "/etc/nsswitch.conf", true, &f) < 0 || f->kind != FILE_REGULAR)
                return NULL;
        for (const char *p = f->data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                line++;
                const char *q = p + strspn(p, " \t");
                if (!startswith(q, "hosts:"))
                        continue;
                char *r = NULL;
                if (asprintf(&r, "/etc/nsswitch.conf:%u: %.*s", line, (int) strcspn(q, "\n#"), q) < 0)
                        return NULL;
                return r;
        }
        return NULL;
}

static void address_string(const struct sockaddr *sa, char *buf, size_t size) {
        char host[INET6_ADDRSTRLEN] = "?";
        if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, host, sizeof host);
        else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, host, sizeof host);
        snprintf(buf, size, "%s", host);
}

/* The local address and interface the kernel routes to sa from: a UDP socket's connect() picks
 * them without sending anything. "10.0.0.5 on eth0", or "no route" when there is none. */
static char *local_end(const struct sockaddr *sa, socklen_t len) {
        _cleanup_close_ int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_storage local = {};
        socklen_t local_len = sizeof local;
        char addr[INET6_ADDRSTRLEN + 1], *r = NULL;
        const char *ifname = NULL;
        struct ifaddrs *ifs = NULL;

        if (fd < 0)
                return NULL;
        if (connect(fd, sa, len) < 0)
                return asprintf(&r, "no local address (%s)", strerror(errno)) < 0 ? NULL : r;
        if (getsockname(fd, (struct sockaddr *) &local, &local_len) < 0)
                return NULL;
        address_string((struct sockaddr *) &local, addr, sizeof addr);
        if (getifaddrs(&ifs) == 0) {
                for (struct ifaddrs *i = ifs; i && !ifname; i = i->ifa_next) {
                        char a[INET6_ADDRSTRLEN + 1];
                        if (!i->ifa_addr || i->ifa_addr->sa_family != local.ss_family)
                                continue;
                        address_string(i->ifa_addr, a, sizeof a);
                        if (streq(a, addr))
                                ifname = i->ifa_name;
                }
        }
        if (asprintf(&r, "from %s on %s", addr, ifname ?: "an interface remedy could not name") < 0)
                r = NULL;
        if (ifs)
                freeifaddrs(ifs);
        return r;
}

static const char *connect_words(int err) {
        switch (err) {
        case ECONNREFUSED:
                return "connection refused: nothing listens there, or a firewall rejects it";
        case ENETUNREACH:
        case EHOSTUNREACH:
                return "no route to host";
        case ETIMEDOUT:
                return "timed out: no answer (the host is down, or a firewall drops the packets)";
        case EPERM:
        case EACCES:
                return "not permitted: a firewall on this node (or the service's sandbox) forbids it";
        default:
                return strerror(err);
        }
}

static int check_resolve_connect(Context *c, JoinCheck *j) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ais = NULL;
        _cleanup_free_ char *by = NULL;
        unsigned char probe[sizeof(struct in6_addr)];
        int r;

        bool numeric = inet_pton(AF_INET, j->host, probe) == 1 || inet_pton(AF_INET6, j->host, probe) == 1;
        if (numeric)
                by = strdup("an address: nothing to resolve");
        else if (!(by = hosts_line(c, j->host)))
                by = resolvers(c);
        if (!by)
                return -ENOMEM;

        r = getaddrinfo(j->host, j->port, &hints, &ais);
        if (r == EAI_MEMORY)
                return -ENOMEM;
        if (r != 0) {
                _cleanup_strv_free_ char **evidence = NULL;
                char *line = NULL;
                if (asprintf(&line, "%s: resolving '%s' by %s: %s", j->server_from, j->host, by,
                             r == EAI_NONAME ? "no such name" : r == EAI_AGAIN ? "the resolver did not answer" : gai_strerror(r)) < 0 ||
                    strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                _cleanup_free_ char *nss = nss_hosts_line(c);
                if (asprintf(&line, "%s (the sources asked, in order)",
                             nss ?: "no hosts: line in /etc/nsswitch.conf (glibc asks dns, then files)") < 0 ||
                    strv_consume(&evidence, line) < 0)
                        return -ENOMEM;
                return join_fail(j, "join-api-server-unresolvable", &evidence,
                                 "make the name resolve on this node: fix its DNS (the nameserver in /etc/resolv.conf), add the "
                                 "API server to /etc/hosts, or set server in the kubeconfig to an address the API server's "
                                 "certificate names (`kubectl cluster-info` on a control-plane node)",
                                 "the API server's host '%s' does not resolve", j->host);
        }
        _cleanup_strv_free_ char **addresses = NULL;
        for (struct addrinfo *ai = ais; ai; ai = ai->ai_next) {
                char a[INET6_ADDRSTRLEN + 1];
                address_string(ai->ai_addr, a, sizeof a);
                if (strv_extend_unique(&addresses, a) < 0) {
                        freeaddrinfo(ais);
                        return -ENOMEM;
                }
        }
        _cleanup_free_ char *list = join_words(addresses, ", ");
        if (!list || (!numeric && join_layer(j, "resolve: %s is %s, by %s", j->host, list, by) < 0)) {
                freeaddrinfo(ais);
                return -ENOMEM;
        }

        /* Each address in turn, as Go's dialer does; the first that connects is used. */
        _cleanup_strv_free_ char **evidence = NULL;
        int fd = -1;
        for (struct addrinfo *ai = ais; ai; ai = ai->ai_next) {
                char a[INET6_ADDRSTRLEN + 1];
                _cleanup_free_ char *local = local_end(ai->ai_addr, ai->ai_addrlen);
                char *line = NULL;
                address_string(ai->ai_addr, a, sizeof a);
                fd = join_connect_address(ai);
                if (fd == -EAFNOSUPPORT) {
                        /* a sandbox without IP sockets (RestrictAddressFamilies=): nothing to judge */
                        bool v6 = ai->ai_family == AF_INET6;
                        freeaddrinfo(ais);
                        j->failed = true;
                        return join_layer(j, "connect: not run: this process may not open %s sockets here",
                                          v6 ? "IPv6" : "IPv4");
                }
                if (fd >= 0) {
                        r = join_layer(j, "connect: TCP to %s port %s %s: connected", a, j->port, strempty(local));
                        close(fd);
                        break;
                }
                if (asprintf(&line, "TCP to %s port %s %s: %s", a, j->port, local ?: "(local end unknown)", connect_words(-fd)) < 0 ||
                    strv_consume(&evidence, line) < 0) {
                        freeaddrinfo(ais);
                        return -ENOMEM;
                }
        }
        freeaddrinfo(ais);
        if (fd >= 0)
                return r;
        return join_fail(j, "join-api-server-unreachable", &evidence,
                         "check on the control plane that kube-apiserver runs (crictl ps --name kube-apiserver; "
                         "kubectl -n kube-system get pods -l component=kube-apiserver) and listens on that port, then the "
                         "firewalls and the route between (ip route get ADDRESS on this node)",
                         "cannot connect to the API server at %s port %s", j->host, j->port);
}

static int check_clock(JoinCheck *j, SystemdBus *bus) {
        _cleanup_free_ char *ntp = NULL, *error = NULL;
        bool synchronized = false;

        if (!bus)
                ntp = strdup("NTPSynchronized not read (no bus)");
        else if (systemd_bus_ntp_synchronized(bus, &synchronized, &error) < 0)
                ntp = strdup(strempty(error));
        else
                ntp = strdup(synchronized ? "NTPSynchronized=yes (systemd-timedated)"
                                          : "NTPSynchronized=no (systemd-timedated): not synchronised");
        if (!ntp)
                return -ENOMEM;
        if (!j->server_date)
                return join_layer(j, "clock: %s; the API server sent no Date header", ntp);

        _cleanup_free_ char *server = NULL, *local = NULL;
        if (format_utc(j->server_date, &server) < 0 || format_utc(j->local_date, &local) < 0)
                return -ENOMEM;
        long offset = (long) difftime(j->server_date, j->local_date);
        /* The Date header has whole seconds, and the request takes a moment: a few seconds are nothing. */
        if (labs(offset) <= JOIN_CLOCK_SKEW_MAX_SEC)
                return join_layer(j, "clock: the API server's Date %s, this node's %s (%+ld s); %s", server, local, offset,
                                  ntp);
        _cleanup_strv_free_ char **evidence = NULL;
        char *line = NULL;
        if (asprintf(&line, "the API server's Date header says %s; this node's clock said %s: the node is %ld s %s", server,
                     local, labs(offset), offset > 0 ? "behind" : "ahead") < 0 ||
            strv_consume(&evidence, line) < 0 || strv_extend(&evidence, ntp) < 0)
                return -ENOMEM;
        return join_fail(j, "clock-skew", &evidence,
                         "synchronise the clocks of the node and the control plane, with a time source both reach: on "
                         "this node remedy apply clock-sync enables and starts its NTP client (diagnose names it when none "
                         "runs); certificates start and end by the clock",
                         "this node's clock and the API server's differ by %ld s (more than %d s)", labs(offset),
                         JOIN_CLOCK_SKEW_MAX_SEC);
}

static int check_layers(Context *c, JoinCheck *j, SystemdBus *bus) {
        int r;

        if ((r = check_resolve_connect(c, j)) < 0 || j->failed)
                return r;
        if ((r = join_check_tls(j)) < 0 || j->failed)
                return r;
        if ((r = join_check_requests(j)) < 0 || j->failed)
                return r;
        return check_clock(j, bus);
}

int join_check_network(Context *c, JoinCheck *j, SystemdBus *bus) {
        struct sigaction ignore = { .sa_handler = SIG_IGN }, old;

        if (!j->kc || j->failed)
                return 0;
        /* OpenSSL writes to the socket with write(): a server that hangs up must be an error
         * (EPIPE), not the end of remedy. */
        if (sigaction(SIGPIPE, &ignore, &old) < 0)
                return -errno;
        int r = check_layers(c, j, bus);
        (void) sigaction(SIGPIPE, &old, NULL);
        return r;
}
