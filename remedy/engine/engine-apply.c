/* SPDX-License-Identifier: MIT */
/*
 * The transaction behind engine_apply(): under the store's lock every path the plan touches is
 * archived first, then the steps are applied (each file operation checked against what was
 * planned right before it is carried out), the checks verify the node as it now is, and any
 * failure rolls the steps, the files and the units back. engine.c makes the plan.
 */
#include "remedy/engine.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "engine-internal.h"
#include "remedy/journal.h"
#include "remedy/log.h"
#include "remedy/strv.h"
#include "remedy/systemd-bus.h"
#include "remedy/unit-restore.h"

/* What is at base in dir_fd against what the plan read there (b): 0 when the same, -ESTALE when
 * not. A removal of ten thousand files checks each through their directory opened once. */
static int check_before_at(int dir_fd, const char *base, const NodeFile *b) {
        struct stat st;

        if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? (b->kind == FILE_ABSENT ? 0 : -ESTALE) : -errno;
        if (b->kind == FILE_REGULAR) {
                _cleanup_free_ char *data = NULL;
                size_t size;
                if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size != b->size)
                        return -ESTALE;
                _cleanup_close_ int fd = openat(dir_fd, base, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0)
                        return errno == ELOOP || errno == ENOENT ? -ESTALE : -errno;
                int k = read_full_fd(fd, NODE_FILE_MAX, &data, &size);
                if (k < 0)
                        return k;
                return size == b->size && memcmp(data, b->data, size) == 0 ? 0 : -ESTALE;
        }
        if (b->kind == FILE_SYMLINK) {
                _cleanup_free_ char *target = NULL;
                if (!S_ISLNK(st.st_mode))
                        return -ESTALE;
                int k = readlinkat_malloc(dir_fd, base, &target);
                if (k < 0)
                        return k == -EINVAL || k == -ENOENT ? -ESTALE : k;
                return streq(target, b->data) ? 0 : -ESTALE;
        }
        return -ESTALE;
}

int file_op_check_before(Root *root, const FileOp *op) {
        const NodeFile *b = op->before;
        _cleanup_free_ char *dir = path_dirname(b->path);

        if (!dir)
                return -ENOMEM;
        /* The parent as root_lstat() reaches it: symlinks resolve inside the root. */
        _cleanup_close_ int pfd = root_open_file(root, dir, O_PATH | O_DIRECTORY, 0);
        if (pfd == -ENOENT)
                return b->kind == FILE_ABSENT ? 0 : -ESTALE;
        if (pfd < 0)
                return pfd;
        return check_before_at(pfd, path_basename(b->path), b);
}

/* A planned removal: checked against the plan and unlinked in the parent that root_unlink()
 * would open, kept open for the next removal in the same directory. Not fsync'd: the caller
 * syncs each directory once. */
static int remove_checked(Root *root, RootParent *parent, const FileOp *op) {
        const char *base;
        int pfd = root_parent_get(parent, root, op->after->path, false, &base);

        if (pfd == -ENOENT)
                return op->before->kind == FILE_ABSENT ? 0 : -ESTALE;
        if (pfd < 0)
                return pfd;
        int k = check_before_at(pfd, base, op->before);
        if (k < 0)
                return k;
        if (unlinkat(pfd, base, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int file_op_apply(Root *root, const FileOp *op) {
        const NodeFile *a = op->after;

        switch (op->type) {
        case FILE_OP_WRITE: {
                WriteOptions o = { a->mode, a->uid, a->gid };
                return root_write_file_atomic(root, a->path, a->data, a->size, &o);
        }
        case FILE_OP_SYMLINK:
                return root_symlink_atomic(root, a->path, a->data);
        case FILE_OP_REMOVE:
                return root_unlink(root, a->path);
        }
        return -EINVAL;
}

/* Every path the plan touches; txn_create() sorts them and drops the repeats. */
static int collect_paths(const Run *r, char ***ret) {
        _cleanup_strv_free_ char **paths = NULL;
        size_t n = 0;
        int k;
        for (size_t j = 0; j < r->n_jobs; j++)
                for (size_t i = 0; i < r->jobs[j].playbook->n_steps; i++) {
                        const Change *c = &r->jobs[j].steps[i].change;
                        for (size_t o = 0; o < c->n_ops; o++)
                                if ((k = strv_extend_with_size(&paths, &n, c->ops[o].after->path)) < 0)
                                        return k;
                }
        *ret = TAKE_PTR(paths);
        return 0;
}

static void free_txn_playbooks(TxnPlaybookInfo *pbs, size_t n) {
        for (size_t j = 0; pbs && j < n; j++) {
                strv_free((char **) pbs[j].param_names);
                strv_free((char **) pbs[j].param_values);
        }
        free(pbs);
}

static int make_txn_info(const Run *r, const char *command, TxnInfo *info, TxnPlaybookInfo **ret_playbooks) {
        TxnPlaybookInfo *pbs = calloc(r->n_jobs ? r->n_jobs : 1, sizeof(TxnPlaybookInfo));
        if (!pbs)
                return -ENOMEM;
        for (size_t j = 0; j < r->n_jobs; j++) {
                const Job *job = &r->jobs[j];
                char **names = NULL, **values = NULL;
                for (size_t i = 0; i < param_values_count(job->values); i++)
                        if (strv_extend(&names, param_values_name(job->values, i)) < 0 ||
                            strv_extend(&values, param_values_value(job->values, i)) < 0) {
                                strv_free(names);
                                strv_free(values);
                                goto oom;
                        }
                pbs[j] = (TxnPlaybookInfo) {
                        .name = job->playbook->name,
                        .path = job->playbook->path,
                        .sha256 = job->playbook->sha256,
                        .param_names = names,
                        .param_values = values,
                };
        }
        *info = (TxnInfo) {
                .command = command,
                .root_path = r->root->path,
                .remedy_version = REMEDY_VERSION,
                .playbooks = pbs,
                .n_playbooks = r->n_jobs,
        };
        *ret_playbooks = pbs;
        return 0;
oom:
        /* calloc left the entries not yet filled NULL: freeing all of them is safe. */
        free_txn_playbooks(pbs, r->n_jobs);
        return -ENOMEM;
}

int change_apply_files(Root *root, const Change *c, char **ret_error) {
        _cleanup_strv_free_ char **removed_from = NULL;
        _cleanup_(root_parent_done) RootParent parent = ROOT_PARENT_INIT;
        int k;

        *ret_error = NULL;
        for (size_t o = 0; o < c->n_ops; o++) {
                const FileOp *op = &c->ops[o];
                if (op->type == FILE_OP_REMOVE) {
                        /* A glob's thousand removals in one directory: one fsync of it, below. */
                        _cleanup_free_ char *dir = path_dirname(op->after->path);
                        k = dir ? strv_extend_unique(&removed_from, dir) : -ENOMEM;
                        if (k >= 0)
                                k = remove_checked(root, &parent, op);
                } else {
                        /* A write may make the directory a removal holds open anew. */
                        root_parent_done(&parent);
                        k = file_op_check_before(root, op);
                        if (k >= 0)
                                k = file_op_apply(root, op);
                }
                if (k == -ESTALE) {
                        set_error(ret_error, "%s changed since it was planned (another writer?)", op->after->path);
                        return k;
                }
                if (k < 0) {
                        set_error(ret_error, "%s: %s", op->after->path, strerror(-k));
                        return k;
                }
        }
        STRV_FOREACH(dir, removed_from)
                if ((k = root_fsync_dir(root, *dir)) < 0 && k != -ENOENT) {
                        set_error(ret_error, "%s: fsync: %s", *dir, strerror(-k));
                        return k;
                }
        return 0;
}

/* Applies one step: its own apply() if it has one, else its file operations in order. */
static int apply_step(Run *r, StepResult *s) {
        Change *c = &s->change;
        int k;

        if (s->step->action->apply) {
                k = s->step->action->apply(r->ctx, s->step->args, c);
                if (k < 0 && r->ctx->error) {
                        set_error(&s->error, "%s", r->ctx->error);
                        free(r->ctx->error);
                        r->ctx->error = NULL;
                }
                return k;
        }

        if ((k = change_apply_files(r->root, c, &s->error)) < 0)
                return k;
        if (!r->offline && change_touches_units(c))
                r->ctx->units_dirty = true;
        return 0;
}

/* Restores the live units after the files: systemd reloads the restored unit files, then the
 * recorded units get their enablement and active state back. */
static int rollback_units(Run *r) {
        _cleanup_free_ char *error = NULL;
        if (r->offline || !r->bus)
                return 0;
        int k = units_restore(r->bus, r->txn, r->job_timeout_usec, false, NULL, NULL, &error);
        if (k < 0)
                set_error(&r->rollback_error, "files of transaction %s restored, but not the units: %s", r->txn->id,
                          error ? error : strerror(-k));
        return k;
}

/* Puts the running kernel's recorded sysctls and modules back, after the files and units. */
static int rollback_kernel(Run *r) {
        _cleanup_free_ char *error = NULL;
        if (r->offline || r->txn->n_kernel == 0 || !root_is_host(r->root))
                return 0;
        int k = kernel_restore(r->txn, false, NULL, NULL, &error);
        if (k < 0)
                set_error(&r->rollback_error, "files of transaction %s restored, but not the kernel's settings: %s",
                          r->txn->id, error ? error : strerror(-k));
        return k;
}

/* Undoes the non-file effects of applied steps, newest first, then restores the files. */
static int rollback_run(Run *r, BackupStore *store, size_t upto_job, size_t upto_step) {
        _cleanup_free_ char *error = NULL;
        int k, result = 0;

        for (size_t j = upto_job + 1; j-- > 0;) {
                Job *job = &r->jobs[j];
                size_t last = j == upto_job ? upto_step : job->playbook->n_steps;
                for (size_t i = last; i-- > 0;) {
                        StepResult *s = &job->steps[i];
                        if (s->change.status != CHANGE_PENDING || !s->step->action->undo)
                                continue;
                        if ((k = s->step->action->undo(r->ctx, s->step->args, &s->change)) < 0 && result == 0)
                                result = k;
                }
        }

        k = txn_rollback(store, r->root, r->txn, &(RollbackOptions) { .force = true }, NULL, NULL, &error);
        if (k < 0) {
                set_error(&r->rollback_error, "rolling back transaction %s failed: %s", r->txn->id,
                          error ? error : strerror(-k));
                return k;
        }
        if ((k = rollback_units(r)) < 0)
                return k;
        if ((k = rollback_kernel(r)) < 0)
                return k;
        return result;
}

static int verify_run(Run *r, bool state_only) {
        _cleanup_(context_freep) Context *fresh = NULL;
        int k, failed = 0;

        /* Checks read the disk as it is now, not the plan's overlay: nothing is claimed that was
         * not checked. */
        if ((k = run_context_new(r, &fresh)) < 0)
                return k;
        for (size_t j = 0; j < r->n_jobs; j++) {
                Job *job = &r->jobs[j];
                fresh->playbook = job->playbook;
                fresh->values = job->values;
                for (size_t i = 0; i < job->playbook->n_checks; i++) {
                        CheckResult *cr = &job->checks[i];
                        if (state_only && !cr->check->type->state) {
                                cr->passed = -1;
                                if (!(cr->evidence = strdup("nothing changed")))
                                        return -ENOMEM;
                                continue;
                        }
                        k = cr->check->type->run(fresh, cr->check->args, &cr->evidence);
                        if (k == -EOPNOTSUPP && cr->evidence) {
                                cr->passed = -1;   /* not run here (offline): neither claimed nor failed */
                                continue;
                        }
                        if (k < 0) {
                                cr->passed = 0;
                                if (!cr->evidence)
                                        cr->evidence = strdup(fresh->error ? fresh->error : strerror(-k));
                                free(fresh->error);
                                fresh->error = NULL;
                        } else
                                cr->passed = k > 0;
                        if (!cr->passed)
                                failed++;
                }
        }
        return failed;
}

int engine_verify_unchanged(Run *r) {
        r->outcome = RUN_NOTHING_TO_DO;
        int k = verify_run(r, true);
        if (k < 0) {
                set_error(&r->error, "verification could not run: %s", strerror(-k));
                return 1;
        }
        if (k > 0) {
                set_error(&r->error, "the node is not as the playbook wants it, and its steps have nothing to change "
                          "(see the failed checks)");
                return 1;
        }
        return 0;
}

/*
 * Marks the transaction failed (run->error says why) and rolls it back: the steps applied before
 * job upto_job's step upto_step (upto_job == n_jobs: all of them). Returns 1, the apply's result.
 */
static int fail_and_roll_back(Run *r, BackupStore *store, size_t upto_job, size_t upto_step) {
        if (upto_job >= r->n_jobs) {
                upto_job = r->n_jobs - 1;
                upto_step = r->jobs[upto_job].playbook->n_steps;
        }
        (void) txn_finish(store, r->root, r->txn, TXN_FAILED, r->error);
        int k = rollback_run(r, store, upto_job, upto_step);
        r->outcome = k < 0 ? RUN_ROLLBACK_FAILED : RUN_ROLLED_BACK;
        return 1;
}

/* Every unit a step will change on the live bus and every kernel setting it will change, with
 * its state before, into the manifest. */
static int record_units(Run *r, BackupStore *store) {
        int k;
        for (size_t j = 0; j < r->n_jobs; j++)
                for (size_t i = 0; i < r->jobs[j].playbook->n_steps; i++) {
                        const Change *c = &r->jobs[j].steps[i].change;
                        if (c->status != CHANGE_PENDING)
                                continue;
                        for (size_t u = 0; u < c->n_units; u++) {
                                const UnitTouch *t = &c->units[u];
                                k = txn_add_unit(store, r->txn, t->name, t->unit_file_state, t->active_state);
                                if (k < 0)
                                        return k;
                        }
                        for (size_t u = 0; u < c->n_kernel; u++) {
                                const KernelTouch *t = &c->kernel[u];
                                if ((k = txn_add_kernel(store, r->txn, t->kind, t->name, t->before)) < 0)
                                        return k;
                        }
                }
        return 0;
}

int engine_apply(Run *r, const ApplyOptions *o) {
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_close_ int node_lock_fd = -EBADF;
        TxnPlaybookInfo *pbs = NULL;
        TxnInfo info;
        int k;

        if ((k = node_guard_lock(r->root, o->store, &node_lock_fd, &r->error)) < 0 ||
            (k = node_guard_unresolved(r->root, o->store, &r->error)) < 0)
                return k;

        /* Plan under the lock, so that what is applied is what was planned. */
        if ((k = engine_plan(r)) < 0)
                return k;

        if ((k = collect_paths(r, &paths)) < 0)
                return k;
        unsigned changes;
        run_count(r, &changes, NULL, NULL, NULL);
        if (changes == 0)
                return engine_verify_unchanged(r);

        if (!r->offline) {
                /* Journal checks look only at what is logged from here on. Without a cursor (an
                 * empty or unreadable journal) they fall back to this time. */
                _cleanup_free_ char *journal_error = NULL;
                r->since_usec = now_realtime_usec();
                k = journal_tail_cursor(NULL, &r->journal_cursor, &journal_error);
                if (k < 0)
                        log_warning("Cannot read the journal's position (journal checks will go by time): %s",
                                    journal_error ? journal_error : strerror(-k));
        }

        /* The next run finds this transaction whichever store it is given: a store the node does
         * not know yet is recorded in it, as part of this transaction. */
        bool register_store = false;
        if (!node_guard_store_is_default(r->root, o->store)) {
                _cleanup_strv_free_ char **known = NULL;
                if ((k = store_registry_list(r->root, &known)) < 0) {
                        set_error(&r->error, "cannot read %s (nothing was changed): %s", STORE_REGISTRY_PATH, strerror(-k));
                        return k;
                }
                register_store = !strv_contains(known, backup_store_path(o->store));
                if (register_store && (k = strv_extend(&paths, STORE_REGISTRY_PATH)) < 0)
                        return k;
        }
        if ((k = make_txn_info(r, o->command, &info, &pbs)) < 0)
                return k;
        info.journal_cursor = r->journal_cursor;
        k = txn_create(o->store, r->root, &info, paths, &r->txn);
        free_txn_playbooks(pbs, r->n_jobs);
        if (k < 0) {
                set_error(&r->error, "cannot back up the files to change (nothing was changed): %s", strerror(-k));
                return k;
        }
        if ((k = record_units(r, o->store)) < 0 || (k = txn_set_state(o->store, r->txn, TXN_APPLYING, NULL)) < 0) {
                set_error(&r->error, "cannot record transaction %s (nothing was changed): %s", r->txn->id, strerror(-k));
                return k;
        }

        if (register_store && (k = store_registry_add(r->root, backup_store_path(o->store))) < 0) {
                set_error(&r->error, "cannot record the backup store in %s: %s", STORE_REGISTRY_PATH, strerror(-k));
                return fail_and_roll_back(r, o->store, 0, 0);
        }

        /* Nothing has been applied yet: the plan's bookkeeping of due reloads starts over. */
        r->ctx->units_dirty = false;

        for (size_t j = 0; j < r->n_jobs; j++) {
                Job *job = &r->jobs[j];
                for (size_t i = 0; i < job->playbook->n_steps; i++) {
                        StepResult *s = &job->steps[i];
                        if (s->change.status != CHANGE_PENDING)
                                continue;
                        k = apply_step(r, s);
                        if (k >= 0)
                                continue;

                        s->change.status = CHANGE_FAILED;
                        set_error(&s->error, "%s", strerror(-k));
                        set_error(&r->error, "step \"%s\" of %s failed: %s", s->step->name, job->playbook->name,
                                  s->error);
                        return fail_and_roll_back(r, o->store, j, i + 1);
                }
        }

        /* Unit files changed after the last unit step: systemd reads them now, so that what is
         * verified (and what the next boot runs) is the new configuration. */
        if (!r->offline && r->ctx->units_dirty && (k = ctx_daemon_reload(r->ctx)) < 0) {
                set_error(&r->error, "%s", r->ctx->error ? r->ctx->error : strerror(-k));
                return fail_and_roll_back(r, o->store, r->n_jobs, 0);
        }

        k = verify_run(r, false);
        if (k < 0) {
                set_error(&r->error, "verification could not run: %s", strerror(-k));
                k = 1;
        }
        if (k > 0 && !r->no_rollback) {
                set_error(&r->error, "verification failed");
                return fail_and_roll_back(r, o->store, r->n_jobs, 0);
        }

        bool verify_failed = k > 0;
        if (verify_failed)
                set_error(&r->error, "verification failed; the changes were kept (--no-rollback)");

        if ((k = txn_finish(o->store, r->root, r->txn, TXN_APPLIED, NULL)) < 0) {
                /* A change that cannot be recorded as applied cannot be trusted to be undone later
                 * either: it is undone now, while the archive is known to be good. */
                set_error(&r->error, "transaction %s could not be recorded as applied: %s", r->txn->id, strerror(-k));
                return fail_and_roll_back(r, o->store, r->n_jobs, 0);
        }
        r->outcome = RUN_APPLIED;

        /* Keeps the store from growing without bound; failures here do not undo a good apply. */
        k = backup_store_prune(o->store, BACKUP_KEEP_DEFAULT, NULL);
        if (k < 0)
                log_warning_errno(k, "Could not prune old backups in %s: %m", backup_store_path(o->store));
        return verify_failed ? 1 : 0;
}
