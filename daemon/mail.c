/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Report mail: compose, queue as .eml, send with libcurl SMTP. */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_append(struct strbuf *b, const unsigned char *p, size_t n, size_t line)
{
	char quad[4];
	size_t col = 0;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		quad[0] = b64[(v >> 18) & 63];
		quad[1] = b64[(v >> 12) & 63];
		quad[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		quad[3] = i + 2 < n ? b64[v & 63] : '=';
		r = strbuf_append(b, quad, 4);
		col += 4;
		if (line && col >= line && i + 3 < n) {
			r = r ?: strbuf_puts(b, "\r\n");
			col = 0;
		}
	}
	return r;
}

static bool is_ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* No CR/LF may reach a header: a value with them is refused. */
static bool header_safe(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

int mail_compose(const struct mail_msg *m, char **out, size_t *len)
{
	struct strbuf b;
	char date[64], boundary[64], msgid[128], host[64] = "localhost";
	time_t now = time(NULL);
	struct tm tm;
	uint64_t rnd = 0;
	int r = 0;

	if (!m->from || !m->n_to || m->n_to > MAIL_MAX_RCPT || !m->subject || !m->text || !header_safe(m->subject) ||
	    !header_safe(m->from) || (m->case_id && !header_safe(m->case_id)))
		return -EINVAL;
	for (size_t i = 0; i < m->n_to; i++)
		if (!header_safe(m->to[i]) || strchr(m->to[i], ','))
			return -EINVAL;

	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &rnd, sizeof(rnd)) != sizeof(rnd))
			rnd = (uint64_t)now ^ (uint64_t)getpid();
		close(fd);
	}
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = 0;
	if (!is_ascii_printable(host) || strpbrk(host, " <>@"))
		strcpy(host, "localhost");
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "=_ingestd_%016llx", (unsigned long long)rnd);
	snprintf(msgid, sizeof(msgid), "<%lld.%016llx@%s>", (long long)now, (unsigned long long)rnd, host);

	strbuf_init(&b, MAIL_MAX_BYTES);     /* the limit of sending too: what is queued can be sent */
	r = r ?: strbuf_printf(&b, "From: %s\r\nTo: ", m->from);
	for (size_t i = 0; i < m->n_to; i++)
		r = r ?: strbuf_printf(&b, "%s%s", i ? ", " : "", m->to[i]);
	r = r ?: strbuf_printf(&b, "\r\nDate: %s\r\nMessage-ID: %s\r\nSubject: ", date, msgid);
	if (is_ascii_printable(m->subject)) {
		r = r ?: strbuf_puts(&b, m->subject);
	} else {
		/* RFC 2047 encoded words, each under 75 characters, split between UTF-8 sequences. */
		const unsigned char *s = (const unsigned char *)m->subject;
		size_t n = strlen(m->subject), i = 0;
		bool first = true;
		while (i < n && r == 0) {
			size_t k = MIN(n - i, 39);
			while (k < n - i && k > 1 && (s[i + k] & 0xc0) == 0x80)
				k--;
			r = strbuf_puts(&b, first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
			r = r ?: b64_append(&b, s + i, k, 0);
			r = r ?: strbuf_puts(&b, "?=");
			i += k;
			first = false;
		}
	}
	if (m->case_id)
		r = r ?: strbuf_printf(&b, "\r\nX-Ingestd-Case: %s", m->case_id);
	r = r ?: strbuf_printf(&b, "\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
	if (m->html)
		r = r ?: strbuf_printf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
		                           "This is a multi-part message in MIME format.\r\n\r\n--%s\r\n", boundary, boundary);
	r = r ?: strbuf_puts(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	r = r ?: b64_append(&b, (const unsigned char *)m->text, strlen(m->text), 76);
	r = r ?: strbuf_puts(&b, "\r\n");
	if (m->html) {
		r = r ?: strbuf_printf(&b, "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
		                           "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
		r = r ?: b64_append(&b, (const unsigned char *)m->html, strlen(m->html), 76);
		r = r ?: strbuf_printf(&b, "\r\n\r\n--%s--\r\n", boundary);
	}
	if (r < 0) {
		strbuf_free(&b);
		return r;
	}
	*len = b.len;
	*out = strbuf_steal(&b);
	return 0;
}

int mail_queue(const char *dir, const char *name, const char *msg, size_t len, char **path)
{
	if (!name[0] || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	_cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	char *final = xasprintf("%s/%s.eml", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	int r;
	if (fd < 0) {
		r = -errno;
		free(final);
		return r;
	}
	r = write_all(fd, msg, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, final) < 0)
		r = -errno;
	if (r == 0) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		*path = final;
		return 0;
	}
	unlink(tmp);
	free(final);
	return r;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t n = MIN(size * nmemb, u->left);
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* The queued message of FD, just opened: -EFBIG when it is larger than
 * MAIL_MAX_BYTES, -EINVAL when it is not a regular file. */
static int read_fd(int fd, char **out, size_t *len)
{
	return read_file_fd(fd, MAIL_MAX_BYTES, out, len);
}

/* Errors of send_message() that no retry can cure: the message itself is wrong. */
static bool send_error_final(int r)
{
	return r == -EFBIG || r == -EINVAL || r == -EBADMSG || r == -EMSGSIZE;
}

/* Moves the queued message PATH (locked by the caller) into DIR/unsendable/,
 * out of the queue; ERR gets the reason and where it went. */
static int set_aside(const char *path, char **err)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	_cleanup_free_ char *adir = xasprintf("%.*sunsendable", (int)(name - path), path);
	_cleanup_free_ char *dst = xasprintf("%s/%s", adir, name);
	if (mkdir(adir, 0750) < 0 && errno != EEXIST)
		return -errno;
	if (rename(path, dst) < 0)
		return -errno;
	if (err) {
		char *why = *err;
		*err = xasprintf("%s; it can never be sent, so it was moved out of the queue to %s", why ? why : "?", dst);
		free(why);
	}
	return 0;
}

/* The header value of NAME (first occurrence, unfolded single line) in the message header. */
static char *header_value(const char *msg, const char *name)
{
	size_t nl = strlen(name);
	const char *p = msg;
	while (*p && !(p[0] == '\r' && p[1] == '\n')) {
		const char *eol = strstr(p, "\r\n");
		if (!eol)
			return NULL;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			return xstrndup(v, (size_t)(eol - v));
		}
		p = eol + 2;
	}
	return NULL;
}

static int send_message(const struct ingestd_config *cfg, int fd, char **err);

/* The queued file is locked while it is sent and removed under the lock, so
 * two workers (the drop's and the maintenance one) never send it twice. */
int mail_send_file(const struct ingestd_config *cfg, const char *path, char **err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;      /* sent (and removed) by another worker */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno == EWOULDBLOCK ? -EAGAIN : -errno;
		close(fd);
		if (err && e == -EAGAIN)
			*err = xstrdup("another worker is sending this message right now");
		return e;
	}
	if (fstat(fd, &st) == 0 && st.st_nlink == 0) {  /* it was sent while we waited for the file */
		close(fd);
		return 0;
	}
	_cleanup_free_ char *why = NULL;
	int r = send_message(cfg, fd, &why);
	if (r == 0 && unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	if (send_error_final(r)) {
		/* retried forever it would also hold up every message queued after it */
		int m = set_aside(path, &why);
		r = m < 0 ? m : -EBADMSG;
	}
	close(fd);
	if (err && why) {
		*err = why;
		why = NULL;
	}
	return r;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)

static int send_message(const struct ingestd_config *cfg, int fd, char **err)
{
	_cleanup_free_ char *msg = NULL, *from = NULL, *to = NULL, *password = NULL;
	size_t len;
	_cleanup_(curl_slist_free_allp) struct curl_slist *rcpt = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int r;

	if (!cfg->smtp_url) {
		if (err)
			*err = xstrdup("no SMTP server configured");
		return -ENOTCONN;
	}
	if ((r = read_fd(fd, &msg, &len)) < 0) {
		if (err)
			*err = r == -EFBIG ? xasprintf("the queued message is larger than %u MiB, the most a report mail may be "
			                               "(left by an older version?)", MAIL_MAX_BYTES >> 20)
			     : r == -EINVAL ? xstrdup("the queued message is not a regular file")
			     : xasprintf("cannot read the queued message: %s", strerror(-r));
		return r;
	}
	from = header_value(msg, "From");
	to = header_value(msg, "To");
	if (!from || !to) {
		if (err)
			*err = xstrdup("the queued message has no From or To header");
		return -EBADMSG;
	}
	unsigned n = 0;
	for (char *save = NULL, *a = strtok_r(to, ",", &save); a && n < MAIL_MAX_RCPT; a = strtok_r(NULL, ",", &save)) {
		while (*a == ' ')
			a++;
		if (*a) {
			_cleanup_free_ char *br = xasprintf("<%s>", a);
			rcpt = curl_slist_append(rcpt, br);
			n++;
		}
	}
	_cleanup_(curl_easy_cleanupp) CURL *c = curl_easy_init();
	if (!c || !rcpt)
		return -ENOMEM;
	_cleanup_free_ char *mfrom = xasprintf("<%s>", from);
	struct upload up = { msg, len };
	bool smtps = strncmp(cfg->smtp_url, "smtps://", 8) == 0;
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mfrom);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (smtps || cfg->starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->smtp_user) {
		password = config_read_password(cfg);
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (err)
			*err = xasprintf("SMTP %s: %s%s", cfg->smtp_url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
			                 code == 552 ? " (the server refuses a message this large)" : "");
		return code == 552 ? -EMSGSIZE   /* RFC 1870: over the server's size limit, for good */
		     : rc == CURLE_LOGIN_DENIED ? -EACCES : rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	}
	return 0;
}

char *mail_case_of(const char *name)
{
	const char *p = name;
	if (*p == 'd' || *p == 'v')     /* a drop's report (dNNNNNN-CASE), a delivery's outcome (vNNNNNN-CASE) */
		while (*++p >= '0' && *p <= '9')
			;
	p = p > name + 1 && *p == '-' ? p + 1 : name;
	size_t n = strlen(p);
	if (n > 4 && strcasecmp(p + n - 4, ".eml") == 0)
		n -= 4;
	char *c = xstrndup(p, n);
	for (char *q = c; *q; q++)      /* SPEC §3 case ids; anything else is not printed as is */
		if (!isalnum((unsigned char)*q) && !strchr("._-", *q))
			*q = '?';
	return c;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int mail_flush(const struct ingestd_config *cfg, const char *dir, unsigned *sent,
               void (*set_aside_cb)(const char *name, const char *why))
{
	DIR *d = opendir(dir);
	struct ptrvec names = { 0 };
	struct dirent *de;
	unsigned ok = 0;
	int left = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && str_has_suffix_ci(de->d_name, ".eml") && names.n < 100000)
			ptrvec_push(&names, xstrdup(de->d_name));
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(void *), cmp_str);
	size_t aside = 0;
	for (size_t i = 0; i < names.n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, (const char *)names.v[i]);
		_cleanup_free_ char *err = NULL;
		int r = cfg->smtp_url ? mail_send_file(cfg, p, &err) : -ENOTCONN;
		if (r == 0) {
			ok++;
		} else if (r == -EBADMSG) {
			if (set_aside_cb)
				set_aside_cb(names.v[i], err ? err : "?");
			aside++;
		} else {
			left++;
			if (cfg->smtp_url)
				break;  /* the server is failing: keep the order, try again later */
		}
	}
	size_t total = names.n;
	ptrvec_free(&names, free);
	if (sent)
		*sent = ok;
	return (int)(total - ok - aside);
}
