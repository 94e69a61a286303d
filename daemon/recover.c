/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Recovery at start, for a journal that was lost (docs/faults.md): drops in
 * work/ and case stores in work/cases/ that the journal does not know are
 * taken again or put back in the archive, and fresh drop ids never reuse the
 * number of a drop folder that exists.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* NNNNNN of a drop folder name "NNNNNN-NAME", or -1. */
static int64_t drop_dir_id(const char *name)
{
	int64_t v = 0;
	for (int i = 0; i < 6; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return name[6] == '-' && name[7] ? v : -1;
}

/* The highest drop id used by a folder in DIR (and, with DEPTH 1, in its sub-folders). */
static int64_t max_drop_id(const char *dir, unsigned depth)
{
	int64_t m = 0;
	DIR *dd = opendir(dir);
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.')
			continue;
		m = MAX(m, drop_dir_id(de->d_name));
		if (depth && de->d_type == DT_DIR) {
			_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
			m = MAX(m, max_drop_id(sub, depth - 1));
		}
	}
	if (dd)
		closedir(dd);
	return m;
}

struct known {
	char **dirs, **cases;
	size_t n;
};

static int known_add(void *ud, const struct journal_drop *jd)
{
	struct known *k = ud;
	k->dirs = xrealloc(k->dirs, (k->n + 1) * sizeof(char *));
	k->cases = xrealloc(k->cases, (k->n + 1) * sizeof(char *));
	k->dirs[k->n] = xstrdup(jd->dir ? jd->dir : "");
	k->cases[k->n++] = xstrdup(jd->case_id);
	return 0;
}

static bool known_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Puts the drop folder DIR/NAME ("NNNNNN-ORIG") back into the inbox as ORIG,
 * where it is taken again like a new drop. */
static void orphan_to_inbox(struct daemon *d, const char *dir, const char *name)
{
	_cleanup_free_ char *src = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *dst = xasprintf("%s/%s", d->cfg->inbox, name + 7);
	if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) < 0)
		log_msg(3, "a drop in work/ unknown to the journal (%s) could not be returned to the inbox: %m; "
		        "move it into the inbox by hand", name);
	else
		log_msg(4, "a drop in work/ unknown to the journal (%s) was returned to the inbox and is taken again",
		        name);
}

/* At start: inputs in work/ that the journal does not know (it was deleted or
 * replaced by an older copy) are taken again, and fresh drop ids never reuse
 * the NNNNNN of a folder that exists. Nothing in work/ is left behind. */
void recover_orphans(struct daemon *d)
{
	int64_t m = MAX(max_drop_id(d->cfg->work, 0), max_drop_id(d->cfg->quarantine, 0));
	_cleanup_free_ char *cases = xasprintf("%s/cases", d->cfg->work);
	m = MAX(m, MAX(max_drop_id(cases, 1), max_drop_id(d->cfg->archive, 1)));
	int r = journal_seed_drop_ids(d->j, m + 1);
	if (r < 0)
		log_msg(3, "cannot reserve drop ids above %lld in the journal: %s", (long long)m, ing_strerror(r));

	struct known k = { 0 };
	journal_foreach_drop(d->j, NULL, true, known_add, &k);
	DIR *dd = opendir(d->cfg->work);
	struct dirent *de;
	while (dd && (de = readdir(dd)))
		if (drop_dir_id(de->d_name) >= 0 && !known_has(k.dirs, k.n, de->d_name))
			orphan_to_inbox(d, d->cfg->work, de->d_name);
	if (dd)
		closedir(dd);
	/* A case store without a drop in progress: its newest drop was in flight
	 * (drops of a case run in order); the others go back to the archive. */
	dd = opendir(cases);
	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.' || known_has(k.cases, k.n, de->d_name))
			continue;
		_cleanup_free_ char *store = xasprintf("%s/%s", cases, de->d_name);
		_cleanup_free_ char *arch = xasprintf("%s/%s", d->cfg->archive, de->d_name);
		int64_t newest = max_drop_id(store, 0);
		DIR *sd = opendir(store);
		struct dirent *se;
		while (sd && (se = readdir(sd))) {
			if (se->d_name[0] == '.')
				continue;
			if (drop_dir_id(se->d_name) == newest && newest > 0) {
				orphan_to_inbox(d, store, se->d_name);
				continue;
			}
			_cleanup_free_ char *from = xasprintf("%s/%s", store, se->d_name);
			_cleanup_free_ char *to = xasprintf("%s/%s", arch, se->d_name);
			mkdir_p(arch, 0750);
			if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0)
				log_msg(3, "case %s: %s could not be moved back to the archive: %m", de->d_name, se->d_name);
		}
		if (sd)
			closedir(sd);
		if (rmdir(store) == 0)
			log_msg(4, "case %s: a case store unknown to the journal was put back in the archive", de->d_name);
	}
	if (dd)
		closedir(dd);
	for (size_t i = 0; i < k.n; i++) {
		free(k.dirs[i]);
		free(k.cases[i]);
	}
	free(k.dirs);
	free(k.cases);
}
