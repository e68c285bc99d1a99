/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The C++ side of remedy's C interfaces (toml-edit.cc, containerd-config.cc): nothing may throw
 * across the C boundary. Code inside throws a Failure (fail()) with a negative errno and a
 * one-line message; each entry point runs inside guarded(), which turns it, and anything else
 * thrown, into a return value and *ret_error.
 */

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace remedy_cc {

struct Failure {
        int error;
        std::string message;
};

[[noreturn]] inline void fail(int error, std::string message) {
        throw Failure{error, std::move(message)};
}

inline int set_error(char **ret_error, const std::string &message) {
        if (!ret_error)
                return 0;
        *ret_error = strdup(message.c_str());
        return *ret_error ? 0 : -ENOMEM;
}

template <typename F>
int guarded(char **ret_error, F &&f) {
        try {
                return f();
        } catch (const Failure &e) {
                int r = set_error(ret_error, e.message);
                return r < 0 ? r : e.error;
        } catch (const std::bad_alloc &) {
                return -ENOMEM;
        } catch (const std::exception &e) {
                int r = set_error(ret_error, std::string("internal error: ") + e.what());
                return r < 0 ? r : -EIO;
        } catch (...) {
                return -EIO;
        }
}

} // namespace remedy_cc
