/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The package stage (SPEC §6): a BagIt 1.0 bag per case.
 *
 * The scan has already written every kept file's bytes into a staging folder
 * beside the outbox and hashed them on the way. Here the staged files are
 * renamed into place (the bytes move once, never re-read), the DICOMDIR is
 * written by DCMTK, the reports, provenance and manifests are written (each
 * hashed from the buffer we write), everything is fsync'ed, and the bag is
 * published by one rename (or exchange) into OUT/pending/ or OUT/ready/.
 * docs/package.md explains the crash behaviour.
 *
 * This file: the case's lock and the leftovers of earlier builds (begin), the
 * publish, the info and the cleanup. The bag is built in package-build.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "libingest-internal.h"
#include "package.h"
#include "testhooks.h"

static bool case_id_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-';
}

bool package_case_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!case_id_char((unsigned char)s[i]))
			return false;
	return true;
}

char *case_id_from_path(const char *path, bool make_valid)
{
	_cleanup_free_ char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	char *base = xstrdup(path_basename(p));
	char *dot = strchr(base, '.');
	if (dot && dot != base)
		*dot = 0;     /* CASE.iso, CASE.tar.gz -> CASE */
	if (!make_valid)
		return base;
	/* "Case 12" or "Müller CD" becomes "Case_12", "M_ller_CD": each run of other bytes one '_' */
	size_t k = 0;
	for (size_t i = 0; base[i] && k < 64; i++) {
		if (case_id_char((unsigned char)base[i]))
			base[k++] = base[i];
		else if (k == 0 || base[k - 1] != '_')
			base[k++] = '_';
	}
	base[k] = 0;
	if (!package_case_id_valid(base)) {   /* nothing left, or "." / ".." */
		free(base);
		base = xstrdup("case");
	}
	return base;
}

int package_mkdir_at(int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

const char *package_state_name(enum ing_package_state s)
{
	return s == ING_PACKAGE_READY ? "ready" : "pending";
}

int ing_package_begin(struct ing_ctx *ctx, const char *out_dir, const char *case_id, struct ing_package **out)
{
	struct ing_package *pkg;
	/* Before the first "goto fail": jumping past a cleanup variable's
	 * initialisation frees garbage (a read-only outbox did; test-fault-readonly). */
	_cleanup_free_ char *lockname = NULL, *prefix = NULL;
	int r;

	if (!ctx || !out_dir || !case_id || !out)
		return -EINVAL;
	if (!package_case_id_valid(case_id)) {
		log_err(ctx, "refusing case id: must be [A-Za-z0-9._-]{1,64}");
		return -EINVAL;
	}
	if (mkdir(out_dir, 0750) < 0 && errno != EEXIST)
		return -errno;

	pkg = xcalloc(1, sizeof(*pkg));
	pkg->ctx = ctx;
	pkg->outfd = pkg->buildingfd = pkg->lockfd = pkg->workfd = -1;
	pkg->case_id = xstrdup(case_id);
	pkg->out_dir = realpath(out_dir, NULL);
	if (!pkg->out_dir) {
		r = -errno;
		goto fail;
	}
	pkg->outfd = open(pkg->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pkg->outfd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = package_mkdir_at(pkg->outfd, ".building")) < 0 || (r = package_mkdir_at(pkg->outfd, "pending")) < 0 ||
	    (r = package_mkdir_at(pkg->outfd, "ready")) < 0)
		goto fail;
	pkg->buildingfd = openat(pkg->outfd, ".building", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pkg->buildingfd < 0) {
		r = -errno;
		goto fail;
	}

	/* One build per case at a time. The holder removes the lock file when it
	 * is done (ing_package_free), so the file we locked may have been
	 * unlinked while we waited: hold it only if it is still the one by that
	 * name, else try again on the new one. */
	lockname = xasprintf("%s.lock", case_id);
	for (;;) {
		struct stat fst, pst;
		pkg->lockfd = openat(pkg->buildingfd, lockname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (pkg->lockfd < 0 || flock(pkg->lockfd, LOCK_EX) < 0 || fstat(pkg->lockfd, &fst) < 0) {
			r = -errno;
			goto fail;
		}
		if (fstatat(pkg->buildingfd, lockname, &pst, AT_SYMLINK_NOFOLLOW) == 0) {
			if (pst.st_dev == fst.st_dev && pst.st_ino == fst.st_ino)
				break;
		} else if (errno != ENOENT) {
			r = -errno;
			goto fail;
		}
		close(pkg->lockfd);
		pkg->lockfd = -1;
	}
	pkg->lock_name = xstrdup(lockname);

	/* Leftovers of builds of this case that did not finish (crash, kill). */
	prefix = xasprintf("%s.", case_id);
	DIR *d = opendir_dup(pkg->buildingfd);
	if (!d) {
		r = -errno;
		goto fail;
	}
	struct dirent *de;
	struct ptrvec stale = { 0 };
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && strcmp(de->d_name, lockname) != 0 &&
		    strlen(de->d_name) == strlen(prefix) + 6)
			ptrvec_push(&stale, xstrdup(de->d_name));
	closedir(d);
	for (size_t i = 0; i < stale.n; i++) {
		log_info(ctx, "case %s: removing an unfinished build (%s)", case_id, (const char *)stale.v[i]);
		r = rm_rf_at(pkg->buildingfd, stale.v[i]);
		if (r < 0)
			log_warn(ctx, "case %s: could not remove %s: %s", case_id, (const char *)stale.v[i], ing_strerror(r));
	}
	ptrvec_free(&stale, free);

	pkg->work_path = xasprintf("%s/.building/%s.XXXXXX", pkg->out_dir, case_id);
	if (!mkdtemp(pkg->work_path)) {
		r = -errno;
		goto fail;
	}
	pkg->work_name = xstrdup(path_basename(pkg->work_path));
	pkg->workfd = openat(pkg->buildingfd, pkg->work_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pkg->workfd < 0 || package_mkdir_at(pkg->workfd, "staging") < 0) {
		r = -errno;
		goto fail;
	}
	pkg->staging = xasprintf("%s/staging", pkg->work_path);
	pkg->bag_path = xasprintf("%s/%s", pkg->work_path, case_id);
	*out = pkg;
	return 0;
fail:
	ing_package_free(pkg);
	return r;
}

const char *ing_package_staging_dir(const struct ing_package *pkg)
{
	return pkg->staging;
}

const char *ing_package_bag_dir(const struct ing_package *pkg)
{
	return pkg->built && !pkg->published ? pkg->bag_path : NULL;
}

int ing_package_publish(struct ing_package *pkg)
{
	const char *target = package_state_name(pkg->state);
	const char *other = pkg->state == ING_PACKAGE_READY ? "pending" : "ready";
	_cleanup_close_ int tfd = -1;
	_cleanup_close_ int ofd = -1;
	int r;

	if (!pkg->built || pkg->published)
		return -EINVAL;
	tfd = openat(pkg->outfd, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ofd = openat(pkg->outfd, other, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || ofd < 0)
		return -errno;
	testhook_crash_point("publish");

	/* One step: a new case appears whole; an existing one is exchanged whole. */
	if (renameat2(pkg->workfd, pkg->case_id, tfd, pkg->case_id, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) {
			if (renameat2(pkg->workfd, pkg->case_id, tfd, pkg->case_id, RENAME_EXCHANGE) < 0)
				return -errno;
			/* the old package is now where the new one was built */
			if (renameat(pkg->workfd, pkg->case_id, pkg->workfd, "replaced") < 0)
				return -errno;
		} else if (errno == EINVAL || errno == ENOSYS) {
			/* No renameat2 flags on this filesystem: move the old one aside
			 * first; readers may then briefly see no package (docs/package.md). */
			if (renameat(tfd, pkg->case_id, pkg->workfd, "replaced") < 0 && errno != ENOENT)
				return -errno;
			if (renameat(pkg->workfd, pkg->case_id, tfd, pkg->case_id) < 0)
				return -errno;
		} else {
			return -errno;
		}
	}
	pkg->published = true;
	if (fsync(tfd) < 0)
		return -errno;
	testhook_crash_point("exchanged");

	/* The case moved between pending/ and ready/: the new one is in place, now the old one goes. */
	if (renameat(ofd, pkg->case_id, pkg->workfd, "moved") == 0) {
		if (fsync(ofd) < 0)
			return -errno;
	} else if (errno != ENOENT) {
		return -errno;
	}
	testhook_crash_point("published");
	if ((r = rm_rf_at(pkg->workfd, "replaced")) < 0 || (r = rm_rf_at(pkg->workfd, "moved")) < 0)
		log_warn(pkg->ctx, "case %s: could not remove the replaced package: %s", pkg->case_id, ing_strerror(r));
	log_info(pkg->ctx, "case %s: published in %s/", pkg->case_id, target);
	return 0;
}

void ing_package_get_info(const struct ing_package *pkg, struct ing_package_info *out)
{
	*out = (struct ing_package_info){
		.path = pkg->final_path,
		.files = pkg->items.n,
		.bytes = pkg->bytes,
		.dicom_files = pkg->dicom_files,
		.dicomdir_refused = (unsigned)pkg->refused.n,
		.documents = pkg->documents,
		.left_out = (unsigned)pkg->left_out.n,
	};
	memcpy(out->manifest_sha256, pkg->manifest_sha256, sizeof(out->manifest_sha256));
}

static void left_out_free(void *p)
{
	struct left_out *l = p;
	free(l->reason);
	free(l);
}

static void item_free(void *p)
{
	struct payload_item *it = p;
	free(it->path);
	free(it);
}

struct ing_package *ing_package_free(struct ing_package *pkg)
{
	if (!pkg)
		return NULL;
	if (pkg->work_name && pkg->buildingfd >= 0) {
		int r = rm_rf_at(pkg->buildingfd, pkg->work_name);
		if (r < 0)
			log_warn(pkg->ctx, "case %s: could not remove the build folder: %s", pkg->case_id, ing_strerror(r));
		(void)fsync(pkg->buildingfd);
	}
	if (pkg->workfd >= 0)
		close(pkg->workfd);
	if (pkg->lockfd >= 0) {
		/* Unlinked while we still hold it: a build waiting on this file
		 * sees that it is gone and takes the next one (ing_package_begin). */
		if (pkg->lock_name && unlinkat(pkg->buildingfd, pkg->lock_name, 0) < 0 && errno != ENOENT)
			log_warn(pkg->ctx, "case %s: could not remove the lock file: %s", pkg->case_id, ing_strerror(-errno));
		close(pkg->lockfd);     /* releases the lock */
	}
	if (pkg->buildingfd >= 0)
		close(pkg->buildingfd);
	if (pkg->outfd >= 0)
		close(pkg->outfd);
	ptrvec_free(&pkg->items, item_free);
	ptrvec_free(&pkg->left_out, left_out_free);
	ptrvec_free(&pkg->refused, left_out_free);
	ptrvec_free(&pkg->dd_notes, left_out_free);
	free(pkg->out_dir);
	free(pkg->case_id);
	free(pkg->lock_name);
	free(pkg->work_name);
	free(pkg->work_path);
	free(pkg->made_dir);
	free(pkg->staging);
	free(pkg->bag_path);
	free(pkg->final_path);
	free(pkg);
	return NULL;
}
