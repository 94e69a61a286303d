/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pipeline of one drop (SPEC §4), run in a worker process:
 *
 *   claimed   the drop is work/DIR (DIR = NNNNNN-name, unique per drop)
 *   scanned   the case store is in work/cases/CASE/ (the case's earlier drops,
 *             moved back from archive/CASE/ in one rename) with DIR merged in,
 *             and ONE ing_scan_path() ran over it
 *   packaged  the bag is built in outbox/.building/; its report and the
 *             SHA-256 of its tagmanifest (naming this very build) are journalled
 *   published the bag is in outbox/ready|pending/CASE; in the same journal
 *             transaction, its delivery (a ready package with a destination:
 *             case.yaml's deliver_to, else delivery.default) is queued, or
 *             held when the destination is not known (deliver.c runs it)
 *   notified  the mail is queued (mail/dNNNNNN-CASE.eml, atomic) and tried
 *   archived  work/cases/CASE/ went back to archive/CASE/ in one rename
 *
 * Every step is redone from the last committed one after a crash. Publishing
 * is detected by the tagmanifest hash, so a bag is never published twice.
 */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "ingestd.h"
#include "mail.h"


struct pl {
	const struct ingestd_config *cfg;
	const char *rules_dir;        /* the daemon's copy of the rules it validated (SPEC §11) */
	const struct ruleset *rules;  /* that copy as the daemon loaded it (NULL: the scan loads rules_dir) */
	struct journal *j;
	struct journal_drop d;
	char *case_dir, *arch_dir, *claimed, *merged;
	uint64_t files_total, bytes_total;
	time_t progress_at;
	struct ing_guard *guard;      /* shared with the daemon's watchdog (docs/faults.md); NULL: none */
	char *too_big;                /* the build ran out of space by its own size: why (drop_too_big()) */
};

static void lib_log(void *ud, int level, const char *msg)
{
	const struct pl *p = ud;
	log_msg(level, "case %s: drop %lld: %s", p->d.case_id, (long long)p->d.id, msg);
}

static int sha256_file(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct sha256_ctx *c = sha256_new();
	char buf[65536];
	ssize_t k;
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(c, buf, (size_t)k);
	int r = k < 0 ? -errno : 0;
	close(fd);
	uint8_t dig[32];
	sha256_final(c, dig);
	sha256_free(c);
	if (r == 0)
		hex_encode(dig, 32, out);
	return r;
}

/* Moves every entry of FROM into TO (names already in TO are kept there), then removes FROM. */
static int merge_dir(const char *from, const char *to)
{
	DIR *d = opendir(from);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int tfd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0) {
		int r = -errno;
		closedir(d);
		return r;
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (renameat2(dirfd(d), de->d_name, tfd, de->d_name, RENAME_NOREPLACE) < 0 && r == 0)
			r = -errno;
	}
	closedir(d);
	fsync(tfd);
	close(tfd);
	if (r == 0 && rmdir(from) < 0)
		r = -errno;
	return r;
}

/* The case's inputs, together in work/cases/CASE/, with this drop in it. */
static int case_store_open(struct pl *p)
{
	_cleanup_free_ char *cases = xasprintf("%s/cases", p->cfg->work);
	int r = mkdir_p(cases, 0750);
	if (r < 0)
		return r;
	if (!path_exists(p->case_dir)) {
		if (rename(p->arch_dir, p->case_dir) < 0) {
			if (errno != ENOENT)
				return -errno;
			if (mkdir(p->case_dir, 0750) < 0)
				return -errno;
		}
	} else if (path_exists(p->arch_dir)) {
		/* Both: left by an interrupted move; bring it all together. */
		if ((r = merge_dir(p->arch_dir, p->case_dir)) < 0)
			return r;
	}
	if (path_exists(p->claimed)) {
		if (rename(p->claimed, p->merged) < 0)
			return -errno;
	}
	fsync_dir_of(p->merged);
	if (!path_exists(p->merged)) {
		log_msg(3, "case %s: drop %lld: its input is neither in work/ nor in the case store", p->d.case_id,
		        (long long)p->d.id);
		return -ENOENT;
	}
	return 0;
}

static int case_store_close(struct pl *p)
{
	int r = mkdir_p(p->cfg->archive, 0750);
	if (r < 0)
		return r;
	if (!path_exists(p->case_dir))
		return 0;
	if (rename(p->case_dir, p->arch_dir) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			return -errno;
		if ((r = merge_dir(p->case_dir, p->arch_dir)) < 0)
			return r;
	}
	fsync_dir_of(p->arch_dir);
	return 0;
}

struct count {
	uint64_t files, bytes, cap;
};

static void count_tree(int dfd, struct count *c, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) && c->files < c->cap) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 64) {
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				count_tree(fd, c, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			c->files++;
			c->bytes += (uint64_t)st.st_size;
		}
	}
	closedir(d);
}

/* The outbox ran out of space (ENOSPC, EDQUOT) while this drop's package was
 * being built. Whose fault: the drop's when its build alone had written more
 * than half of the outbox's filesystem (its size, not what was free): such a
 * drop could only be published by emptying the outbox of everything else, and
 * retried it would fill the disk again and again and hold up every other
 * drop. Then p->too_big says why, and the drop is quarantined; otherwise the
 * disk was full of other things and the drop is retried as before
 * (docs/faults.md). Its budgets (limits.max_drop_ratio, max_total_bytes)
 * stop a bomb's expansion long before this on an outbox of any size. */
static void check_too_big(struct pl *p, const struct ing_package *pkg, int err)
{
	struct statvfs sv;
	if ((err != -ENOSPC && err != -EDQUOT) || !pkg || statvfs(p->cfg->outbox, &sv) < 0)
		return;
	uint64_t fs_bytes = (uint64_t)sv.f_blocks * (uint64_t)(sv.f_frsize ? sv.f_frsize : sv.f_bsize);
	/* the build's folder: .building/CASE.XXXXXX, the parent of its staging folder */
	_cleanup_free_ char *work = xstrdup(ing_package_staging_dir(pkg));
	char *slash = strrchr(work, '/');
	if (slash)
		*slash = 0;
	struct count c = { .cap = UINT64_MAX };
	int fd = open(work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		count_tree(fd, &c, 0);
	if (c.bytes <= fs_bytes / 2)
		return;
	free(p->too_big);
	p->too_big = xasprintf("the outbox filled up (%s) while this drop's package was built: the build alone had "
	                       "written %llu bytes, more than half of the outbox's filesystem (%llu bytes)",
	                       ing_strerror(err), (unsigned long long)c.bytes, (unsigned long long)fs_bytes);
}

static const char *json_str(json_object *o, const char *k1, const char *k2)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, k2, &v)))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static void remove_build_leftovers(const struct pl *p)
{
	_cleanup_free_ char *bdir = xasprintf("%s/.building", p->cfg->outbox);
	DIR *d = opendir(bdir);
	if (!d)
		return;
	size_t cl = strlen(p->d.case_id);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, p->d.case_id, cl) == 0 && de->d_name[cl] == '.' && strlen(de->d_name) == cl + 7 &&
		    strcmp(de->d_name + cl, ".lock") != 0) {
			_cleanup_free_ char *x = xasprintf("%s/%s", bdir, de->d_name);
			rm_rf(x);
		}
	}
	closedir(d);
}

/* The drops of the case so far, for the report's "drops" (arrival order). */
struct drop_list {
	struct ing_drop_record *v;
	size_t n;
};

static int drop_list_add(void *ud, const struct journal_drop *d)
{
	struct drop_list *l = ud;
	char when[32];
	struct tm tm;
	time_t t = (time_t)d->received_at;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = (struct ing_drop_record){ xstrdup(d->name), xstrdup(when) };
	return 0;
}

static void drop_list_free(struct drop_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->v[i].name);
		free((char *)l->v[i].received_at);
	}
	free(l->v);
}

/* Progress of the scan into the journal, at most about once a second. */
static void scan_progress(void *ud, uint64_t files, uint64_t bytes)
{
	struct pl *p = ud;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec == p->progress_at)
		return;
	p->progress_at = now.tv_sec;
	journal_drop_progress(p->j, p->d.id, files, p->files_total, bytes, p->bytes_total);
}

static void add_rcpt(struct ptrvec *to, const char *a);
static void case_notify(const char *store, struct ptrvec *to);

/* deliver_to: of the folder drops' case.yaml files in the case store STORE, the
 * newest drop's that says anything about it winning: 1 and *NAME, 0 (none), or
 * -EINVAL and *WHY (fail closed: a destination that may be named but cannot
 * be read is never replaced by the default). */
static int case_deliver_to(const char *store, char **name, char **why)
{
	struct dirent **ents = NULL;
	int k = scandir(store, &ents, NULL, alphasort), res = 0;
	*name = *why = NULL;
	for (int i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.') {
			_cleanup_free_ char *dp = xasprintf("%s/%s", store, ents[i]->d_name);
			_cleanup_close_ int dfd = open(dp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			char *n = NULL, *w = NULL;
			int r = dfd >= 0 ? case_yaml_deliver_to_at(dfd, "case.yaml", &n, &w) : 0;
			if (r != 0) {
				free(*name);
				free(*why);
				*name = n;
				*why = w;
				res = r;
			}
		}
		free(ents[i]);
	}
	free(ents);
	return res;
}

/* Without the scan (publishing found done after a restart): the case.yaml
 * files of the folder drops; a drop that is a file (an archive, a disc image)
 * may hold a case.yaml too, which only a scan reads: then the destination is
 * not known (fail closed). */
static int case_deliver_to_unscanned(const char *store, char **name, char **why)
{
	struct dirent **ents = NULL;
	int k = scandir(store, &ents, NULL, alphasort);
	bool file_drop = false;
	for (int i = 0; i < k; i++) {
		struct stat st;
		_cleanup_free_ char *dp = xasprintf("%s/%s", store, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && lstat(dp, &st) == 0 && !S_ISDIR(st.st_mode))
			file_drop = true;
		free(ents[i]);
	}
	free(ents);
	if (!file_drop)
		return case_deliver_to(store, name, why);
	*name = NULL;
	*why = xstrdup("ingestd restarted while publishing, and a drop of the case is an archive or disc image whose "
	               "case.yaml (and the deliver_to it may hold) only a scan reads; send the package with ingest send "
	               "--to NAME, or drop the case again");
	return -EINVAL;
}

/* The delivery of the package just published at PACKAGE_PATH (ready), into
 * DL: false when it goes nowhere (no deliver_to, no delivery.default). A
 * destination named but unknown holds it, with the reason (SPEC §10). SCAN:
 * the case as scanned (its case.yaml files, archives' too), or NULL. */
static bool delivery_plan(struct pl *p, const struct ing_scan *scan, const char *package_path, const char *manifest,
                          struct journal_delivery *dl)
{
	_cleanup_free_ char *name = NULL, *why = NULL;
	const char *store = path_exists(p->case_dir) ? p->case_dir : p->arch_dir;
	int r = scan ? ing_scan_deliver_to(scan, &name, &why) : case_deliver_to_unscanned(store, &name, &why);
	*dl = (struct journal_delivery){ .package_path = xstrdup(package_path),
	                                 .manifest_sha256 = manifest ? xstrdup(manifest) : NULL };
	if (r < 0) {
		dl->destination = xstrdup("");
		dl->state = DELIVERY_HELD;
		dl->error = xasprintf("not sent anywhere: %s. Drop a corrected case.yaml for the case", why);
	} else if (r > 0) {
		dl->destination = steal_ptr(name);
		if (!config_destination(p->cfg, dl->destination)) {
			dl->state = DELIVERY_HELD;
			dl->error = xasprintf("not sent: case.yaml names deliver_to: %s, which is not a destination of the "
			                      "configuration (%s, destinations:). Add it and reload ingestd, or drop a "
			                      "corrected case.yaml", dl->destination,
			                      p->cfg->file ? p->cfg->file : "no configuration file");
		}
	} else if (p->cfg->delivery_default) {
		dl->destination = xstrdup(p->cfg->delivery_default);
	} else {
		journal_delivery_clear(dl);
		return false;
	}
	_cleanup_(ptrvec_freep) struct ptrvec to = { 0 };
	struct strbuf rc;
	strbuf_init(&rc, 64u << 10);
	for (size_t i = 0; i < p->cfg->n_mail_to; i++)
		add_rcpt(&to, p->cfg->mail_to[i]);
	case_notify(path_exists(p->case_dir) ? p->case_dir : p->arch_dir, &to);
	const char *const *addrs;
	for (size_t i = 0, n = ing_scan_notify(scan, &addrs); i < n; i++)
		add_rcpt(&to, addrs[i]);
	for (size_t i = 0; i < to.n; i++)
		strbuf_printf(&rc, "%s\n", (const char *)to.v[i]);
	dl->rcpt = strbuf_steal(&rc);
	return true;
}

/* Marks the drop published (journal_published()), with the package's
 * delivery when it is ready and has a destination. */
static int mark_published(struct pl *p, const struct ing_scan *scan, bool ready, const char *package_path,
                          const char *manifest)
{
	_cleanup_(journal_delivery_clear) struct journal_delivery dl = { 0 };
	bool deliver = ready && package_path && delivery_plan(p, scan, package_path, manifest, &dl);
	int r = journal_published(p->j, p->d.id, deliver ? &dl : NULL);
	if (r == 0 && deliver && dl.state == DELIVERY_HELD)
		log_msg(4, "case %s: delivery held: %s", p->d.case_id, dl.error);
	else if (r == 0 && deliver)
		log_msg(6, "case %s: delivery to %s queued", p->d.case_id, dl.destination);
	return r;
}

static int build_and_publish(struct pl *p)
{
	const struct ingestd_config *cfg = p->cfg;
	/* Released in the reverse order: the package and the scan before the
	 * context, the inputs left out after the scan that was given them. */
	_cleanup_(journal_skips_clear) struct journal_skips jskips = { 0 };
	_cleanup_free_ struct ing_scan_skip *skips = NULL;
	_cleanup_(ing_ctx_freep) struct ing_ctx *ctx = NULL;
	_cleanup_(ing_scan_freep) struct ing_scan *scan = NULL;
	_cleanup_(ing_package_freep) struct ing_package *pkg = NULL;
	_cleanup_(journal_report_clear) struct journal_report prev = { 0 };
	_cleanup_(json_object_putp) json_object *root = NULL;
	_cleanup_free_ char *json = NULL, *changes = NULL;
	_cleanup_free_ char *salt_path = NULL, *salt = NULL, *tagm = NULL, *grj = NULL, *bag_json = NULL;
	int r;

	struct count c = { .cap = cfg->limits.max_entries ? cfg->limits.max_entries : 1000000 };
	int cfd = open(p->case_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd >= 0)
		count_tree(cfd, &c, 0);
	journal_drop_progress(p->j, p->d.id, 0, c.files, 0, c.bytes);
	p->files_total = c.files;
	p->bytes_total = c.bytes;

	if ((r = ing_ctx_new(&ctx)) < 0)
		return r;
	ing_ctx_set_log(ctx, lib_log, p, ING_LOG_INFO);
	ing_ctx_set_limits(ctx, &cfg->limits);
	if (cfg->n_languages) {
		struct strbuf langs;
		strbuf_init(&langs, 128);
		for (size_t i = 0; i < cfg->n_languages; i++)
			(void)strbuf_printf(&langs, "%s%s", i ? "," : "", cfg->languages[i]);
		if (ing_ctx_set_working_languages(ctx, langs.s) < 0)
			log_msg(4, "case %s: working languages \"%s\" not usable; using English", p->d.case_id, langs.s);
		strbuf_free(&langs);
	}
	salt_path = xasprintf("%s/salt", cfg->base_dir);
	if (read_text_file(salt_path, 4096, &salt) == 0 && strlen(salt) >= 32)
		ing_ctx_set_salt(ctx, salt, strlen(salt));

	if ((r = ing_package_begin(ctx, cfg->outbox, p->d.case_id, &pkg)) < 0) {
		log_msg(3, "case %s: cannot prepare the outbox: %s", p->d.case_id, ing_strerror(r));
		return r;
	}
	/* Inputs of the case a worker died on before are left out (docs/faults.md). */
	if ((r = journal_skip_list(p->j, p->d.case_id, &jskips)) < 0) {
		log_msg(3, "case %s: cannot read the inputs to leave out from the journal: %s", p->d.case_id,
		        ing_strerror(r));
		return r;
	}
	if (jskips.n) {
		skips = xcalloc(jskips.n, sizeof(*skips));
		for (size_t i = 0; i < jskips.n; i++)
			skips[i] = (struct ing_scan_skip){ jskips.v[i].path, jskips.v[i].reason };
		log_msg(5, "case %s: drop %lld: %zu input(s) that stopped a reader before are left out", p->d.case_id,
		        (long long)p->d.id, jskips.n);
	}
	/* The case store holds one folder per drop: each drop's case.yaml counts,
	 * later drops overriding what they set. */
	struct ing_scan_opts so = {
		.case_id = p->d.case_id,
		.staging_dir = ing_package_staging_dir(pkg),
		.rules_dir = p->rules_dir,     /* never paths.rules itself: it may have changed since */
		.rules = p->rules,             /* loaded by the daemon when it validated that copy */
		.fetch_links = true,
		.allow_http = cfg->http_downloads,
		.case_store = true,
		.progress = scan_progress,
		.progress_userdata = p,
		.guard = p->guard,
		.skips = skips,
		.n_skips = jskips.n,
	};
	r = ing_scan_path(ctx, p->case_dir, &so, &scan);
	if (r < 0) {
		log_msg(3, "case %s: scanning the case failed: %s", p->d.case_id, ing_strerror(r));
		check_too_big(p, pkg, r);
		return r;
	}
	if ((r = journal_drop_step(p->j, p->d.id, STEP_SCANNED, NULL)) < 0)
		return r;
	/* The scan's transient memory (archive indexes, extractor buffers) is
	 * free but scattered through the heap: give its pages back before the
	 * package is built (100,000 entries: 88 MiB resident after the scan,
	 * 62 MiB after this), so that the build's own peak does not stack on it. */
	(void)malloc_trim(0);

	unsigned req = 0;
	const char *status = ing_scan_status(scan, &req);
	if (!status)
		status = "incomplete";
	if ((r = ing_scan_to_json(scan, &json)) < 0)
		return r;
	root = json_tokener_parse(json);
	const char *cancer = json_str(root, "cancer_type", "id");

	/* What changed since the case's last published report. Computed before the
	 * build so that it can go into the bag's report once libingest takes it
	 * (see docs/daemon.md, "changes"); today it goes to the journal and the mail. */
	int pr = journal_report_last_published(p->j, p->d.case_id, p->d.id, &prev);
	changes = changes_compute(pr == 0 ? prev.json : NULL, json, p->d.name);
	/* The report in the bag carries the case's history and what changed. */
	struct drop_list drops = { 0 };
	journal_foreach_drop(p->j, p->d.case_id, false, drop_list_add, &drops);
	r = ing_scan_set_history(scan, drops.v, drops.n, changes);
	drop_list_free(&drops);
	if (r < 0) {
		log_msg(3, "case %s: the list of changes is malformed; it is left out of the report", p->d.case_id);
		ing_scan_set_history(scan, NULL, 0, NULL);
	}
	struct ing_package_opts po = {
		.state = strcmp(status, "complete") == 0 ? ING_PACKAGE_READY : ING_PACKAGE_PENDING,
		.status = status,
		.cancer_type = cancer,
	};
	if ((r = ing_package_build(pkg, scan, &po)) < 0) {
		log_msg(3, "case %s: building the package failed: %s", p->d.case_id, ing_strerror(r));
		check_too_big(p, pkg, r);
		return r;
	}
	struct ing_package_info info;
	ing_package_get_info(pkg, &info);

	const char *bagdir = ing_package_bag_dir(pkg);
	tagm = xasprintf("%s/tagmanifest-sha256.txt", bagdir);
	grj = xasprintf("%s/gap-report.json", bagdir);
	char bag_sha[65];
	if ((r = sha256_file(tagm, bag_sha)) < 0) {
		log_msg(3, "case %s: the built package has no tag manifest: %s", p->d.case_id, ing_strerror(r));
		return r;
	}
	if (read_text_file(grj, REPORT_MAX_BYTES, &bag_json) < 0)
		bag_json = xstrdup(json);

	char state[16];
	snprintf(state, sizeof(state), "%s", po.state == ING_PACKAGE_READY ? "ready" : "pending");
	struct journal_report rep = {
		.status = (char *)status,
		.required_gaps = (int)req,
		.package_path = (char *)info.path,
		.state = state,
		.manifest_sha256 = info.manifest_sha256,
		.bag_sha256 = bag_sha,
		.json = bag_json,
		.changes = changes,
	};
	if ((r = journal_report_packaged(p->j, p->d.id, &rep)) < 0)
		return r;

	if ((r = ing_package_publish(pkg)) < 0) {
		log_msg(3, "case %s: publishing failed: %s", p->d.case_id, ing_strerror(r));
		return r;
	}
	if ((r = mark_published(p, scan, po.state == ING_PACKAGE_READY, info.path, info.manifest_sha256)) < 0)
		return r;
	log_msg(5, "case %s: drop %lld: published in %s/ (%s, %u required gaps)", p->d.case_id, (long long)p->d.id,
	        state, status, req);
	return 0;
}

/* After a crash at step packaged: did the publish happen? Yes if the bag in the
 * outbox is the one journalled (its tagmanifest hash names the build). */
static int maybe_published(struct pl *p)
{
	_cleanup_(journal_report_clear) struct journal_report rep = { 0 };
	int r = journal_report_of_drop(p->j, p->d.id, &rep);
	if (r < 0)
		return 0;
	char sha[65];
	_cleanup_free_ char *t = xasprintf("%s/%s/%s/tagmanifest-sha256.txt", p->cfg->outbox, rep.state, p->d.case_id);
	bool done = rep.bag_sha256 && sha256_file(t, sha) == 0 && strcmp(sha, rep.bag_sha256) == 0;
	if (done) {
		/* The move between pending/ and ready/ may not have removed the other one. */
		const char *other = strcmp(rep.state, "ready") == 0 ? "pending" : "ready";
		_cleanup_free_ char *o = xasprintf("%s/%s/%s", p->cfg->outbox, other, p->d.case_id);
		rm_rf(o);
		r = mark_published(p, NULL, strcmp(rep.state, "ready") == 0, rep.package_path, rep.manifest_sha256);
		log_msg(5, "case %s: drop %lld: found published before the restart", p->d.case_id, (long long)p->d.id);
	}
	return r < 0 ? r : done;
}

/* The first MAX bytes of the text file PATH, NUL-terminated; *CUT tells
 * whether there was more. */
static int read_text_head(const char *path, size_t max, char **out, bool *cut)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	char *buf = xmalloc(max + 2);
	size_t n = 0;
	while (n < max + 1) {
		ssize_t k = read(fd, buf + n, max + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*cut = n > max;
	buf[MIN(n, max)] = 0;
	*out = buf;
	return 0;
}

static char *html_escape(const char *s)
{
	struct strbuf b;
	strbuf_init(&b, 1u << 20);
	for (; *s; s++) {
		switch (*s) {
		case '<': strbuf_puts(&b, "&lt;"); break;
		case '>': strbuf_puts(&b, "&gt;"); break;
		case '&': strbuf_puts(&b, "&amp;"); break;
		case '"': strbuf_puts(&b, "&quot;"); break;
		default: strbuf_append(&b, s, 1); break;
		}
	}
	return strbuf_steal(&b);
}

static void add_rcpt(struct ptrvec *to, const char *a)
{
	if (to->n >= MAIL_MAX_RCPT || !case_yaml_address_ok(a))
		return;
	for (size_t i = 0; i < to->n; i++)
		if (strcasecmp(to->v[i], a) == 0)
			return;
	ptrvec_push(to, xstrdup(a));
}

/* case.yaml notify: of every drop folder in the case store (the newest last). */
static void case_notify(const char *store, struct ptrvec *to)
{
	struct dirent **ents = NULL;
	int k = scandir(store, &ents, NULL, alphasort);
	for (int i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.') {
			_cleanup_free_ char *dp = xasprintf("%s/%s", store, ents[i]->d_name);
			int dfd = open(dp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			char **addrs = NULL;
			size_t n_addrs = 0;
			if (dfd >= 0)
				case_yaml_notify_at(dfd, "case.yaml", &addrs, &n_addrs);
			for (size_t a = 0; a < n_addrs; a++) {
				add_rcpt(to, addrs[a]);
				free(addrs[a]);
			}
			free(addrs);
			if (dfd >= 0)
				close(dfd);
		}
		free(ents[i]);
	}
	free(ents);
}

/* While the daemon's last reload of the rules failed (it keeps the rules it
 * validated before: SPEC §11), every report mail says so to its recipients,
 * the operators among them: the case was checked, with the older rules. */
static void rules_reload_note(struct pl *p, struct strbuf *tb, struct strbuf *hb)
{
	_cleanup_free_ char *why = NULL, *good = NULL;
	int64_t failed_at = 0, good_at = 0;
	if (journal_note_get(p->j, JOURNAL_NOTE_RULES_FAILED, &failed_at, &why) < 0 || !why)
		return;
	(void)journal_note_get(p->j, JOURNAL_NOTE_RULES_GOOD, &good_at, &good);
	char fa[32] = "?", ga[32] = "?";
	struct tm tm;
	time_t t = (time_t)failed_at;
	if (localtime_r(&t, &tm))
		strftime(fa, sizeof(fa), "%Y-%m-%d %H:%M", &tm);
	t = (time_t)good_at;
	if (good_at && localtime_r(&t, &tm))
		strftime(ga, sizeof(ga), "%Y-%m-%d %H:%M", &tm);
	strbuf_printf(tb, "For the operator: the last reload of the rules failed (%s: %s). This case was checked "
	              "with the rules validated at %s; fix the rules and reload (ingest rules validate, then "
	              "systemctl reload ingestd).\n\n", fa, why, ga);
	_cleanup_free_ char *ew = html_escape(why);
	strbuf_printf(hb, "<p><b>For the operator:</b> the last reload of the rules failed (%s: %s). This case was "
	              "checked with the rules validated at %s; fix the rules and reload.</p>", fa, ew, ga);
}

static int notify(struct pl *p)
{
	const struct ingestd_config *cfg = p->cfg;
	_cleanup_(journal_report_clear) struct journal_report rep = { 0 };
	_cleanup_(ptrvec_freep) struct ptrvec to = { 0 };
	int r = journal_report_of_drop(p->j, p->d.id, &rep);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cfg->n_mail_to; i++)
		add_rcpt(&to, cfg->mail_to[i]);
	case_notify(path_exists(p->case_dir) ? p->case_dir : p->arch_dir, &to);

	_cleanup_(json_object_putp) json_object *root = rep.json ? json_tokener_parse(rep.json) : NULL;
	/* the report's notify: every drop's case.yaml as the scan read it, an archive's too */
	json_object *nt = NULL;
	if (root && json_object_object_get_ex(root, "notify", &nt) && json_object_is_type(nt, json_type_array))
		for (size_t i = 0; i < json_object_array_length(nt); i++) {
			const char *a = json_object_get_string(json_object_array_get_idx(nt, i));
			if (a && case_yaml_address_ok(a))
				add_rcpt(&to, a);
		}
	const char *cancer = json_str(root, "cancer_type", "id");
	_cleanup_free_ char *subject = xasprintf("[ingestd] %s %s: %s \u2014 %d required gap%s", p->d.case_id,
	                                         cancer ? cancer : "generic", rep.status ? rep.status : "incomplete",
	                                         rep.required_gaps, rep.required_gaps == 1 ? "" : "s");
	_cleanup_free_ char *txtp = xasprintf("%s/gap-report.txt", rep.package_path);
	_cleanup_free_ char *htmlp = xasprintf("%s/gap-report.html", rep.package_path);
	_cleanup_free_ char *txt = NULL, *html = NULL;
	/* The mail is at most MAIL_MAX_BYTES (what can be queued can be sent): the
	 * report's lists are cut already; a report still too large for that is
	 * mailed without its HTML part, and its text cut (half the limit: base64
	 * makes it a third larger). */
	bool text_cut = false;
	r = read_text_head(txtp, MAIL_MAX_BYTES / 2, &txt, &text_cut);
	if (r < 0)
		txt = xstrdup("(the gap report could not be read from the package)\n");
	if (text_cut) {
		char *nl = strrchr(txt, '\n');
		if (nl)
			nl[1] = 0;
	}
	bool html_ok = read_text_file(htmlp, MAIL_MAX_BYTES, &html) == 0;

	_cleanup_(strbuf_freep) struct strbuf tb = { 0 }, hb = { 0 };
	strbuf_init(&tb, MAIL_MAX_BYTES);
	strbuf_init(&hb, MAIL_MAX_BYTES);
	/* The package by its name and state, not by its path on the server (#18). */
	const char *pkg_name = rep.package_path ? strrchr(rep.package_path, '/') : NULL;
	pkg_name = pkg_name && pkg_name[1] ? pkg_name + 1 : rep.package_path ? rep.package_path : p->d.case_id;
	bool pkg_ready = rep.state && strcmp(rep.state, "ready") == 0;
	strbuf_printf(&tb, "Case %s: %s, %d required gap%s.\nPackage: %s, %s\n\n", p->d.case_id,
	              rep.status ? rep.status : "incomplete", rep.required_gaps, rep.required_gaps == 1 ? "" : "s",
	              pkg_name, pkg_ready ? "ready to send" : "pending in the outbox until nothing required is missing");
	/* Delivery: this mail does not wait for it (hours, for a large case); a
	 * short second mail says when the destination holds every object, or why
	 * not (deliver.c). */
	_cleanup_(journal_delivery_clear) struct journal_delivery dl = { 0 };
	if (pkg_ready && journal_delivery_of_drop(p->j, p->d.id, &dl) == 0) {
		if (dl.state == DELIVERY_HELD) {
			strbuf_printf(&tb, "Delivery: held, %s.\n\n", dl.error ? dl.error : "the destination is not known");
			_cleanup_free_ char *e = html_escape(dl.error ? dl.error : "the destination is not known");
			strbuf_printf(&hb, "<p><b>Delivery: held</b>, %s.</p>", e);
		} else {
			strbuf_printf(&tb, "Delivery: to %s; a second mail says when every image is confirmed there, or why "
			              "not.\n\n", dl.destination);
			_cleanup_free_ char *e = html_escape(dl.destination);
			strbuf_printf(&hb, "<p><b>Delivery</b>: to %s; a second mail says when every image is confirmed "
			              "there, or why not.</p>", e);
		}
	}
	rules_reload_note(p, &tb, &hb);
	/* "What changed" once per mail: the report in the package renders the
	 * changes the daemon gave it (ing_scan_set_history), so the mail adds its
	 * own section only when the report has none (the list was left out of it). */
	json_object *rch = NULL;
	bool report_has_changes = root && json_object_object_get_ex(root, "changes", &rch) &&
	                          json_object_is_type(rch, json_type_array) && json_object_array_length(rch) > 0;
	json_object *ch = !report_has_changes && rep.changes ? json_tokener_parse(rep.changes) : NULL;
	size_t nch = ch && json_object_is_type(ch, json_type_array) ? json_object_array_length(ch) : 0;
	if (nch) {
		strbuf_puts(&tb, "What changed since the last report:\n");
		strbuf_puts(&hb, "<div><h2>What changed since the last report</h2><ul>");
	}
	for (size_t i = 0; i < nch; i++) {
		json_object *c = json_object_array_get_idx(ch, i);
		const char *what = json_str(c, "what", NULL), *detail = json_str(c, "detail", NULL);
		strbuf_printf(&tb, "  - %s%s%s\n", what ? what : "", detail ? ": " : "", detail ? detail : "");
		_cleanup_free_ char *ew = html_escape(what ? what : ""), *ed = html_escape(detail ? detail : "");
		strbuf_printf(&hb, "<li>%s%s%s</li>", ew, detail ? ": " : "", ed);
	}
	if (nch) {
		strbuf_puts(&tb, "\n");
		strbuf_puts(&hb, "</ul></div>\n");
	}
	if (!html_ok && path_exists(htmlp))
		strbuf_puts(&tb, "(The HTML version of this report is too large to mail: open gap-report.html in the "
		                 "package.)\n\n");
	strbuf_puts(&tb, txt);
	if (text_cut)
		strbuf_printf(&tb, "\n[The report is cut here: it is longer than a mail may be (%u MiB). The whole report is "
		                   "gap-report.txt in the package.]\n", MAIL_MAX_BYTES >> 20);
	json_object_put(ch);
	_cleanup_free_ char *html_full = NULL;
	if (html) {
		/* The mail's own notes (rules reload, changes left out of the
		 * report) go first in the page's body. */
		const char *pre = hb.s ? hb.s : "";
		char *body = strstr(html, "<body");
		char *gt = body ? strchr(body, '>') : NULL;
		struct strbuf f;
		strbuf_init(&f, MAIL_MAX_BYTES);
		if (gt) {
			strbuf_append(&f, html, (size_t)(gt + 1 - html));
			strbuf_puts(&f, pre);
			strbuf_puts(&f, gt + 1);
		} else {
			strbuf_puts(&f, pre);
			strbuf_puts(&f, html);
		}
		html_full = strbuf_steal(&f);
	}

	_cleanup_free_ char *from_default = NULL, *msg = NULL, *qpath = NULL;
	_cleanup_free_ char *qname = xasprintf("d%06lld-%s", (long long)p->d.id, p->d.case_id);
	size_t len;
	if (!cfg->mail_from) {
		char host[64] = "localhost";
		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = 0;
		from_default = xasprintf("ingestd@%s", host);
	}
	if (to.n == 0) {
		log_msg(4, "case %s: no mail recipient configured (mail.to) or named in case.yaml; no mail queued",
		        p->d.case_id);
		return journal_drop_step(p->j, p->d.id, STEP_NOTIFIED, "no recipient");
	}
	struct mail_msg m = {
		.from = cfg->mail_from ? cfg->mail_from : from_default,
		.to = (const char *const *)to.v,
		.n_to = to.n,
		.subject = subject,
		.text = tb.s,
		.html = html_full,
		.case_id = p->d.case_id,
	};
	r = mail_compose(&m, &msg, &len);
	if (r == -E2BIG && m.html) {
		/* text and HTML together are too large: the text alone, saying so */
		log_msg(5, "case %s: the report mail is too large with its HTML part (over %u MiB): mailed as text only",
		        p->d.case_id, MAIL_MAX_BYTES >> 20);
		_cleanup_free_ char *t2 = xasprintf("(The HTML version of this report is too large to mail: open "
		                                    "gap-report.html in the package.)\n\n%s", tb.s);
		m.text = t2;
		m.html = NULL;
		r = mail_compose(&m, &msg, &len);
	}
	if (r < 0 || (r = mail_queue(cfg->mail_outbox, qname, msg, len, &qpath)) < 0) {
		log_msg(3, "case %s: cannot queue the report mail: %s", p->d.case_id, ing_strerror(r));
		return r;
	}
	if ((r = journal_drop_step(p->j, p->d.id, STEP_NOTIFIED, qname)) < 0)
		return r;
	if (cfg->smtp_url) {
		_cleanup_free_ char *err = NULL;
		int s = mail_send_file(cfg, qpath, &err);
		if (s == 0) {
			log_msg(6, "case %s: report mail sent to %zu recipient(s)", p->d.case_id, to.n);
		} else if (s == -EBADMSG) {
			log_msg(3, "case %s: report mail %s not sent: %s", p->d.case_id, qname, err ? err : "?");
		} else {
			log_msg(4, "case %s: mail not sent yet (kept in the mail outbox, retried later): %s", p->d.case_id,
			        err ? err : "?");
		}
	} else {
		log_msg(6, "case %s: report mail written to the mail outbox (no SMTP configured)", p->d.case_id);
	}
	return 0;
}

/* Errors the pipeline returns come from the environment (a full or read-only
 * outbox, permissions, the journal), not from the input: a bad input file is a
 * problem in the report, and a parser that crashes kills the worker (recorded
 * by the daemon). So such a drop is kept where it is and retried with the
 * scheduler's backoff however often it fails; only failures that may be the
 * input's fault count towards giving up. last_error starts with RETRY_MARK for
 * the former (docs/faults.md). */
#define RETRY_MARK "kept, retried later: "

static void drop_error_env(struct pl *p, const char *what, int err)
{
	const char *hint = "";
	switch (-err) {
	case ENOSPC: case EDQUOT: hint = " (free space on the outbox/work filesystem)"; break;
	case EROFS: hint = " (the filesystem is read-only: make it writable)"; break;
	case EACCES: case EPERM: hint = " (check the owner and mode of the ingestd folders)"; break;
	case EBUSY: hint = " (the journal is locked by another process)"; break;
	}
	_cleanup_free_ char *msg = xasprintf(RETRY_MARK "%s: %s%s", what, ing_strerror(err), hint);
	log_msg(3, "case %s: drop %lld: %s", p->d.case_id, (long long)p->d.id, msg);
	int r = journal_drop_error(p->j, p->d.id, msg);
	if (r < 0)
		log_msg(3, "case %s: drop %lld: the error could not be journalled either: %s", p->d.case_id,
		        (long long)p->d.id, ing_strerror(r));
}

static bool error_is_env(const char *last_error)
{
	return last_error && strncmp(last_error, RETRY_MARK, strlen(RETRY_MARK)) == 0;
}

/* The drop's input goes to quarantine with REASON (its reason file); WHY
 * is the journal's detail of the step. */
static int quarantine_drop(struct pl *p, const char *reason, const char *why)
{
	const char *where = path_exists(p->merged) ? p->merged : path_exists(p->claimed) ? p->claimed : NULL;
	int r = 0;
	if (where)
		r = quarantine_path(p->cfg, where, p->d.dir, reason, NULL);
	if (r < 0)
		return r;
	if ((r = case_store_close(p)) < 0)
		return r;
	return journal_drop_step(p->j, p->d.id, STEP_QUARANTINED, why);
}

/* Gives up on a drop that failed too often: its input goes to quarantine. */
static int give_up(struct pl *p)
{
	_cleanup_free_ char *reason = xasprintf(
		"ingestd could not process this drop of case %s after %u attempts. Last error: %s\n"
		"Check the drop (a damaged disc image or archive?), then drop it again, or ask the operator "
		"(journalctl -u ingestd).", p->d.case_id, p->d.attempts, p->d.last_error ? p->d.last_error : "unknown");
	int r = quarantine_drop(p, reason, p->d.last_error);
	if (r == 0)
		log_msg(3, "case %s: drop %lld quarantined after %u failed attempts", p->d.case_id, (long long)p->d.id,
		        p->d.attempts);
	return r;
}

/* A drop too large for the outbox (check_too_big()): quarantined at once,
 * so that it does not hold the disk full for every other drop. */
static int drop_too_big(struct pl *p)
{
	_cleanup_free_ char *reason = xasprintf(
		"ingestd could not package this drop of case %s: %s. It is too large for this outbox (an archive "
		"bomb?). Split the drop or send it unpacked, or give the outbox more space, then drop it again.",
		p->d.case_id, p->too_big);
	int r = quarantine_drop(p, reason, p->too_big);
	if (r == 0)
		log_msg(3, "case %s: drop %lld quarantined: %s", p->d.case_id, (long long)p->d.id, p->too_big);
	return r;
}

/* Frees what P holds and closes its journal: for _cleanup_(pl_clear). */
static void pl_clear(struct pl *p)
{
	free(p->too_big);
	free(p->case_dir);
	free(p->arch_dir);
	free(p->claimed);
	free(p->merged);
	journal_drop_clear(&p->d);
	journal_close(p->j);
}

int pipeline_run(const struct ingestd_config *cfg, const char *rules_dir, const struct ruleset *rules, int64_t drop_id,
                 struct ing_guard *guard)
{
	_cleanup_(pl_clear) struct pl p = { .cfg = cfg, .rules_dir = rules_dir, .rules = rules, .guard = guard };
	int r = journal_open(cfg->state_db, false, &p.j);
	if (r < 0) {
		log_msg(3, "cannot open the journal %s: %s", cfg->state_db, ing_strerror(r));
		return r;
	}
	if ((r = journal_drop_get(p.j, drop_id, &p.d)) < 0)
		return r;
	if (p.d.step >= STEP_ARCHIVED || p.d.step == STEP_CLAIMING)
		return 0;
	p.case_dir = xasprintf("%s/cases/%s", cfg->work, p.d.case_id);
	p.arch_dir = xasprintf("%s/%s", cfg->archive, p.d.case_id);
	p.claimed = xasprintf("%s/%s", cfg->work, p.d.dir);
	p.merged = xasprintf("%s/%s", p.case_dir, p.d.dir);

	if (p.d.attempts >= INGESTD_MAX_ATTEMPTS && p.d.step < STEP_PUBLISHED && !error_is_env(p.d.last_error))
		return give_up(&p);
	log_msg(6, "case %s: drop %lld (%s): resuming after step %s", p.d.case_id, (long long)p.d.id, p.d.dir,
	        journal_step_name(p.d.step));
	if (p.d.step < STEP_PUBLISHED) {
		if ((r = case_store_open(&p)) < 0) {
			drop_error_env(&p, "the case store could not be prepared", r);
			return r;
		}
		r = p.d.step == STEP_PACKAGED ? maybe_published(&p) : 0;
		if (r == 0)
			r = build_and_publish(&p);
		if (r < 0 && p.too_big) {
			int q = drop_too_big(&p);
			if (q == 0)
				return 0;
			log_msg(3, "case %s: drop %lld could not be quarantined: %s", p.d.case_id, (long long)p.d.id,
			        ing_strerror(q));
		}
		if (r < 0) {
			drop_error_env(&p, "building the package failed", r);
			return r;
		}
		p.d.step = STEP_PUBLISHED;
	}
	if (p.d.step < STEP_NOTIFIED) {
		if ((r = notify(&p)) < 0) {
			drop_error_env(&p, "the report mail could not be queued", r);
			return r;
		}
	}
	remove_build_leftovers(&p);
	if ((r = case_store_close(&p)) < 0) {
		drop_error_env(&p, "the case could not be moved to the archive", r);
		return r;
	}
	r = journal_drop_step(p.j, p.d.id, STEP_ARCHIVED, NULL);
	if (r == 0)
		log_msg(6, "case %s: drop %lld archived", p.d.case_id, (long long)p.d.id);
	return r;
}

static int recover_one(void *ud, const struct journal_drop *d)
{
	const struct ingestd_config *cfg = ((void **)ud)[0];
	struct journal *j = ((void **)ud)[1];
	if (d->step != STEP_CLAIMING)
		return 0;
	_cleanup_free_ char *w = xasprintf("%s/%s", cfg->work, d->dir);
	if (path_exists(w)) {
		journal_drop_step(j, d->id, STEP_CLAIMED, "recovered");
		log_msg(6, "case %s: drop %lld: claim completed after a restart", d->case_id, (long long)d->id);
	} else {
		/* The rename never happened: the drop is still in the inbox and will be seen again. */
		journal_drop_delete(j, d->id);
	}
	return 0;
}

int pipeline_recover_claims(const struct ingestd_config *cfg, struct journal *j)
{
	void *ud[2] = { (void *)cfg, j };
	/* Deliveries a killed daemon left at "sending" are pending again: their
	 * next attempt asks the destination what arrived and sends the rest. */
	int r = journal_deliveries_recover(j);
	if (r < 0)
		log_msg(3, "the deliveries interrupted by the last stop could not be resumed: %s", ing_strerror(r));
	return journal_foreach_drop(j, NULL, true, recover_one, ud);
}

struct prune {
	const struct ingestd_config *cfg;
	int64_t cutoff;
};

static int prune_case(void *ud, const struct journal_case *c)
{
	const struct prune *pr = ud;
	if (c->open_drops || c->updated_at >= pr->cutoff)
		return 0;
	_cleanup_free_ char *a = xasprintf("%s/%s", pr->cfg->archive, c->id);
	if (path_exists(a)) {
		int r = rm_rf(a);
		log_msg(r < 0 ? 4 : 6, "case %s: archive pruned after %u days%s", c->id, pr->cfg->retention_days,
		        r < 0 ? " (partly: could not remove everything)" : "");
	}
	return 0;
}

/* A queued message that can never be sent, moved out of the queue: the name
 * says the case (dNNNNNN-CASE.eml), never a patient. */
static void mail_set_aside(const char *name, const char *why)
{
	_cleanup_free_ char *c = mail_case_of(name);
	log_msg(3, "case %s: queued report mail %s not sent: %s", c, name, why);
}

int maintenance_run(const struct ingestd_config *cfg, bool prune)
{
	unsigned sent = 0;
	int left = cfg->smtp_url ? mail_flush(cfg, cfg->mail_outbox, &sent, mail_set_aside) : 0;
	if (sent)
		log_msg(6, "mail outbox: %u queued message(s) sent", sent);
	if (left > 0)   /* the fault is reported at each retry, not only when the mail was queued */
		log_msg(4, "mail outbox: %d message(s) still queued (the SMTP server %s fails); retried later", left,
		        cfg->smtp_url);
	if (prune && cfg->retention_days) {
		struct journal *j;
		if (journal_open(cfg->state_db, false, &j) == 0) {
			struct prune pr = { cfg, (int64_t)time(NULL) - (int64_t)cfg->retention_days * 86400 };
			journal_foreach_case(j, NULL, prune_case, &pr);
			journal_close(j);
		}
	}
	return left > 0 ? 1 : left < 0 ? 2 : 0;
}
