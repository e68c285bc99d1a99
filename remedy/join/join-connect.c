/* SPDX-License-Identifier: MIT */
/*
 * A TCP connection to the API server with a timeout, for the connect layer and for each TLS
 * session after it.
 */
#include "join-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 3000

/* Connects with a timeout: the socket (blocking again), or -errno (-ETIMEDOUT). */
int join_connect_address(const struct addrinfo *ai) {
        _cleanup_close_ int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0)
                return -errno;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                if (errno != EINPROGRESS)
                        return -errno;
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                int n = poll(&p, 1, CONNECT_TIMEOUT_MS);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ETIMEDOUT;
                int err = 0;
                socklen_t len = sizeof err;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        return -errno;
                if (err)
                        return -err;
        }
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
                return -errno;
        struct timeval tv = { .tv_sec = JOIN_IO_TIMEOUT_SEC };
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        return TAKE_FD(fd);
}

int join_connect(JoinCheck *j, int *ret_fd) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ais = NULL;
        int r;

        r = getaddrinfo(j->host, j->port, &hints, &ais);
        if (r != 0)
                return r == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
        int fd = -EHOSTUNREACH;
        for (struct addrinfo *ai = ais; ai; ai = ai->ai_next)
                if ((fd = join_connect_address(ai)) >= 0)
                        break;
        freeaddrinfo(ais);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}

