/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test driver for libingest/fetch.c (linked directly, see meson.build).
 *
 *   fetch-tool unit                       table tests of the pure functions
 *   fetch-tool parse FILE [NAME]          linkfile_parse(); "url: ..." lines or "error: RC MSG"
 *   fetch-tool get [OPTIONS] URL OUT      fetch_url() into OUT; prints key=value lines
 *      --allow-http --ca FILE --max-bytes N --timeout S --stall S --retries N
 *      --redirects N --retry-ms N --connect-timeout S --max-file-bytes N (ctx limit)
 *      --services FILE: share_fetch() with the share link table FILE
 *   fetch-tool services FILE [URL...]     loads the share link table FILE (errors: exit 2); for each
 *                                         URL prints what share_plan() makes of it
 *   fetch-tool drop [--allow-http] [--ca FILE] [--seconds S] [--bytes N] DIR
 *                                         scans folder DIR fetching its link files, with
 *                                         limits.max_download_seconds/_bytes set; prints the JSON report
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fetch.h"
#include "check.h"

static void log_stderr(void *ud, int level, const char *msg)
{
	fprintf(stderr, "log<%d>: %s\n", level, msg);
}

/* Parses TEXT as NAME; expects RC and, on success, the URLs in EXPECT (NULL-terminated). */
static void parse_case(int line, const char *name, const void *buf, size_t len, int rc_want,
                       const char *const *expect, const char *err_has)
{
	char **urls = NULL, *err = NULL;
	size_t n = 0, want_n = 0;
	int rc = linkfile_parse(buf, len, name, &urls, &n, &err);
	while (expect && expect[want_n])
		want_n++;
	if (rc != rc_want) {
		fprintf(stderr, "line %d: %s: rc %d, expected %d (%s)\n", line, name, rc, rc_want, err ? err : "");
		check_failures++;
	} else if (rc == 0) {
		if (n != want_n) {
			fprintf(stderr, "line %d: %s: %zu URLs, expected %zu\n", line, name, n, want_n);
			check_failures++;
		}
		for (size_t i = 0; i < n && i < want_n; i++)
			CHECK_STR(urls[i], expect[i]);
		CHECK(err == NULL);
	} else {
		CHECK(urls == NULL && n == 0);   /* outputs untouched on failure */
		CHECK(err != NULL);
		if (err && err_has && !strstr(err, err_has)) {
			fprintf(stderr, "line %d: error \"%s\" lacks \"%s\"\n", line, err, err_has);
			check_failures++;
		}
	}
	linkfile_urls_free(urls, n);
	free(err);
}

#define P(name, text, rc, err, ...) \
	parse_case(__LINE__, name, text, sizeof(text) - 1, rc, (const char *const[]){ __VA_ARGS__, NULL }, err)

static void name_case(const char *cd, const char *url, const char *want)
{
	char *n = fetch_file_name(cd, url);
	CHECK_STR(n, want);
	free(n);
}

static int run_unit(void)
{
	/* kinds */
	CHECK(linkfile_kind("a/b/Scan.URL") == LINKFILE_URL);
	CHECK(linkfile_kind("x.webloc") == LINKFILE_WEBLOC);
	CHECK(linkfile_kind("dir/LINKS.TXT") == LINKFILE_LINKS_TXT);
	CHECK(linkfile_kind(".url") == LINKFILE_NONE);
	CHECK(linkfile_kind("notes.txt") == LINKFILE_NONE);
	CHECK(linkfile_kind(NULL) == LINKFILE_NONE);

	/* .url */
	P("a.url", "[InternetShortcut]\r\nURL=https://example.org/a.zip\r\n", 0, NULL, "https://example.org/a.zip");
	P("a.url", "\xef\xbb\xbf[InternetShortcut]\nURL=https://example.org/b\n", 0, NULL, "https://example.org/b");
	P("a.url", "[{000214A0-0000-0000-C000-000000000046}]\nProp3=19,11\n[InternetShortcut]\nIDList=\n"
	           "  url  =  https://example.org/c?x=1&y=2  \nIconIndex=0\n", 0, NULL, "https://example.org/c?x=1&y=2");
	P("a.url", "[Other]\nURL=https://example.org/no\n", -ENOENT, "no URL= line", NULL);
	P("a.url", "[InternetShortcut]\nURL=not a url\n", -EBADMSG, "not a usable web address", NULL);
	P("a.url", "[InternetShortcut]\nURL=ftp://example.org/x\n", 0, NULL, "ftp://example.org/x");
	P("a.url", "\x01\x02\x00\x03garbage", -EBADMSG, "binary", NULL);
	P("a.url", "[InternetShortcut]\nURL=https://example.org/\xc3\xa4rzt.pdf\n", 0, NULL,
	  "https://example.org/%C3%A4rzt.pdf");
	P("a.url", "[InternetShortcut]\nURL=https://\xc3\xa4.example/\n", -EBADMSG, "non-ASCII", NULL);
	/* UTF-16LE with BOM */
	{
		const char *t = "[InternetShortcut]\r\nURL=https://example.org/u16\r\n";
		size_t tl = strlen(t);
		unsigned char b[256];
		b[0] = 0xff;
		b[1] = 0xfe;
		for (size_t i = 0; i < tl; i++) {
			b[2 + 2 * i] = (unsigned char)t[i];
			b[3 + 2 * i] = 0;
		}
		parse_case(__LINE__, "a.url", b, 2 + 2 * tl, 0, (const char *const[]){ "https://example.org/u16", NULL }, NULL);
	}

	/* .webloc XML */
	P("a.webloc",
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	  "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n"
	  "\t<key>URL</key>\n\t<string>https://example.org/d?a=1&amp;b=&#x32;</string>\n</dict>\n</plist>\n",
	  0, NULL, "https://example.org/d?a=1&b=2");
	P("a.webloc", "<plist><dict><key>URL</key><string>https://example.org/x", -EBADMSG, "not closed", NULL);
	P("a.webloc", "<plist><dict><key>Name</key><string>x</string></dict></plist>", -ENOENT, "no URL", NULL);
	P("a.webloc", "bplist00\x01\x02", -EBADMSG, "damaged", NULL);

	/* links.txt */
	P("links.txt", "# scans from St Elsewhere\n\nhttps://example.org/1\r\n  https://example.org/2  \n"
	               "https://example.org/1\n#https://example.org/skip\n", 0, NULL,
	  "https://example.org/1", "https://example.org/2");
	P("links.txt", "https://example.org/1\nHere are my scans\n", -EBADMSG, "line 2", NULL);
	P("links.txt", "\n# only notes\n", -ENOENT, "no links", NULL);
	P("links.txt", "www.example.org/no-scheme\n", -EBADMSG, "https://", NULL);
	P("notes.txt", "https://example.org/\n", -EINVAL, "not a link file", NULL);
	{
		/* too many links, and too big */
		size_t cap = (FETCH_MAX_URLS + 1) * 40;
		char *b = malloc(cap), *p = b;
		for (int i = 0; i <= FETCH_MAX_URLS; i++)
			p += sprintf(p, "https://example.org/%d\n", i);
		parse_case(__LINE__, "links.txt", b, (size_t)(p - b), -E2BIG, NULL, "more than");
		free(b);
		b = calloc(1, FETCH_LINKFILE_MAX_BYTES + 1);
		memset(b, 'a', FETCH_LINKFILE_MAX_BYTES + 1);
		parse_case(__LINE__, "links.txt", b, FETCH_LINKFILE_MAX_BYTES + 1, -E2BIG, NULL, "larger");
		free(b);
		/* a URL at the length limit passes, one past it does not */
		b = malloc(FETCH_MAX_URL_BYTES + 2);
		memcpy(b, "https://e.org/", 14);
		memset(b + 14, 'x', FETCH_MAX_URL_BYTES - 14);
		b[FETCH_MAX_URL_BYTES] = 0;
		{
			char **u = NULL, *e = NULL;
			size_t n = 0;
			CHECK(linkfile_parse(b, FETCH_MAX_URL_BYTES, "links.txt", &u, &n, &e) == 0 && n == 1);
			linkfile_urls_free(u, n);
			free(e);
			e = NULL;
			b[FETCH_MAX_URL_BYTES] = 'x';
			CHECK(linkfile_parse(b, FETCH_MAX_URL_BYTES + 1, "links.txt", &u, &n, &e) == -EBADMSG);
			CHECK(e && strstr(e, "too long"));
			free(e);
		}
		free(b);
	}

	/* file names */
	name_case("attachment; filename=\"scan 1.zip\"", "https://h/x/y", "scan 1.zip");
	name_case("attachment; filename*=UTF-8''%C3%A4rztbrief.pdf; filename=\"fallback.pdf\"", NULL, "\xc3\xa4rztbrief.pdf");
	name_case("attachment; filename=\"fallback.pdf\"; filename*=utf-8''%E2%82%AC.pdf", NULL, "\xe2\x82\xac.pdf");
	name_case("attachment; filename*=ISO-8859-1''%E4.txt", NULL, "\xc3\xa4.txt");
	name_case("attachment; filename=\"../../etc/passwd\"", NULL, "passwd");
	name_case("attachment; filename=\"..\"", "https://h/dir/report.pdf", "report.pdf");
	name_case("attachment; filename=\"a\\\\..\\\\b..c\"", NULL, "b.c");
	name_case("attachment; filename*=UTF-8''%0Aevil%00name%2F..%2Fx.pdf", NULL, "x.pdf");
	name_case("attachment; filename=\".hidden\"", NULL, "hidden");
	name_case("inline", "https://h/files/MRI%20head.zip?token=abc", "MRI head.zip");
	name_case(NULL, "https://h/", "download");
	name_case(NULL, "https://h", "download");
	name_case(NULL, NULL, "download");
	name_case("attachment; filename=a:b*c?.txt", NULL, "a_b_c_.txt");
	{
		char cd[600], *n;
		strcpy(cd, "attachment; filename=");
		memset(cd + strlen(cd), 'n', 400);
		cd[21 + 400] = 0;
		strcat(cd, ".dicom.zip");
		n = fetch_file_name(cd, NULL);
		CHECK(strlen(n) <= FETCH_MAX_NAME_BYTES);
		CHECK(str_has_suffix_ci(n, ".zip"));
		free(n);
	}

	/* web pages */
	{
		static const char page[] = "\xef\xbb\xbf\n  <!DOCTYPE html><html><head><TITLE>\n Sign in &amp; view &#8211; "
			"Dropbox </title></head><body><form id=\"other\" action=\"/x\"><input type=\"hidden\" name=\"a\" "
			"value=\"1\"></form><form id=\"download-form\" action=\"https://drive.usercontent.google.com/download\" "
			"method=\"get\"><input type=\"submit\" value=\"Download anyway\"/><input type=\"hidden\" name=\"id\" "
			"value=\"1AbC\"><input type=\"hidden\" name=\"export\" value=\"download\"><input type=hidden "
			"name=\"confirm\" value=\"t&amp;x y\"></form></body></html>";
		char *t, *u;
		CHECK(fetch_is_html(NULL, (const uint8_t *)page, sizeof(page) - 1));
		CHECK(fetch_is_html("text/html; charset=utf-8", (const uint8_t *)"x", 1));
		CHECK(fetch_is_html("Application/XHTML+XML", (const uint8_t *)"x", 1));
		CHECK(!fetch_is_html("application/zip", (const uint8_t *)"PK\3\4", 4));
		CHECK(!fetch_is_html(NULL, (const uint8_t *)"<html", 5));      /* no end of tag seen */
		CHECK(!fetch_is_html("text/plain", (const uint8_t *)"Pathology report <html>", 23));
		CHECK(fetch_is_html(NULL, (const uint8_t *)"<HTML>\n", 7));
		t = fetch_html_title((const uint8_t *)page, sizeof(page) - 1);
		CHECK_STR(t, "Sign in & view \xe2\x80\x93 Dropbox");
		free(t);
		CHECK(fetch_html_title((const uint8_t *)"<title>  </title>", 17) == NULL);
		CHECK(fetch_html_title((const uint8_t *)"<title>cut", 10) == NULL);
		u = fetch_html_form_url((const uint8_t *)page, sizeof(page) - 1, "download-form",
		                        "https://drive.usercontent.google.com/download?id=1AbC&export=download");
		CHECK_STR(u, "https://drive.usercontent.google.com/download?id=1AbC&export=download&confirm=t%26x%20y");
		free(u);
		u = fetch_html_form_url((const uint8_t *)page, sizeof(page) - 1, "other", "https://h.example/a/b");
		CHECK_STR(u, "https://h.example/x?a=1");
		free(u);
		CHECK(fetch_html_form_url((const uint8_t *)page, sizeof(page) - 1, "nope", "https://h/") == NULL);
	}

	/* refused before any traffic */
	{
		struct fetch_opts o;
		struct fetch_result r;
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		fetch_opts_default(&o);
		CHECK(fetch_url(NULL, &o, "ftp://127.0.0.1/x", fd, &r) == -EPROTONOSUPPORT);
		CHECK(r.error && strstr(r.error, "uses ftp://"));
		fetch_result_clear(&r);
		CHECK(fetch_url(NULL, &o, "http://127.0.0.1/x", fd, &r) == -EPROTONOSUPPORT);
		fetch_result_clear(&r);
		CHECK(fetch_url(NULL, &o, "no scheme", fd, &r) == -EINVAL);
		fetch_result_clear(&r);
		close(fd);
	}

	CHECK_DONE();
}

static int run_parse(const char *file, const char *name)
{
	char *buf = malloc(FETCH_LINKFILE_MAX_BYTES + 2), **urls = NULL, *err = NULL;
	size_t len = 0, n = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC), rc;
	if (fd < 0) {
		perror(file);
		free(buf);
		return 1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, FETCH_LINKFILE_MAX_BYTES + 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > FETCH_LINKFILE_MAX_BYTES)
			break;
	}
	close(fd);
	rc = linkfile_parse(buf, len, name ? name : file, &urls, &n, &err);
	if (rc < 0)
		printf("error: %d %s\n", rc, err);
	else
		for (size_t i = 0; i < n; i++)
			printf("url: %s\n", urls[i]);
	linkfile_urls_free(urls, n);
	free(err);
	free(buf);
	return rc < 0 ? 2 : 0;
}

static int run_get(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "allow-http", no_argument, NULL, 'h' },
		{ "ca", required_argument, NULL, 'c' },
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "max-file-bytes", required_argument, NULL, 'M' },
		{ "timeout", required_argument, NULL, 't' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "stall", required_argument, NULL, 's' },
		{ "retries", required_argument, NULL, 'r' },
		{ "redirects", required_argument, NULL, 'R' },
		{ "retry-ms", required_argument, NULL, 'b' },
		{ "services", required_argument, NULL, 'S' },
		{ 0 },
	};
	struct fetch_opts o;
	struct fetch_result res;
	struct share_table *share = NULL;
	char *serr = NULL;
	struct ing_ctx *ctx;
	struct ing_limits lim;
	char hex[65];
	int c, fd, rc;

	fetch_opts_default(&o);
	if (ing_ctx_new(&ctx) < 0)
		return 1;
	ing_ctx_set_log(ctx, log_stderr, NULL, ING_LOG_DEBUG);
	lim = *ing_ctx_get_limits(ctx);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': o.allow_http = true; break;
		case 'c': o.ca_file = optarg; break;
		case 'm': o.max_bytes = strtoull(optarg, NULL, 10); break;
		case 'M': lim.max_file_bytes = strtoull(optarg, NULL, 10); break;
		case 't': o.timeout_s = (unsigned)atoi(optarg); break;
		case 'C': o.connect_timeout_s = (unsigned)atoi(optarg); break;
		case 's': o.stall_s = (unsigned)atoi(optarg); break;
		case 'r': o.max_retries = (unsigned)atoi(optarg); break;
		case 'R': o.max_redirects = (unsigned)atoi(optarg); break;
		case 'b': o.retry_base_ms = (unsigned)atoi(optarg); break;
		case 'S':
			if (share_table_load(optarg, &share, &serr) < 0) {
				fprintf(stderr, "%s\n", serr);
				free(serr);
				ing_ctx_free(ctx);
				return 1;
			}
			break;
		default: ing_ctx_free(ctx); return 1;
		}
	}
	ing_ctx_set_limits(ctx, &lim);
	if (argc - optind != 2) {
		fprintf(stderr, "usage: fetch-tool get [OPTIONS] URL OUT\n");
		ing_ctx_free(ctx);
		return 1;
	}
	fd = open(argv[optind + 1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		perror(argv[optind + 1]);
		ing_ctx_free(ctx);
		return 1;
	}
	rc = share ? share_fetch(ctx, share, &o, argv[optind], fd, &res) : fetch_url(ctx, &o, argv[optind], fd, &res);
	share_table_free(share);
	close(fd);
	printf("rc=%d\nstatus=%ld\nattempts=%u\n", rc, res.http_status, res.attempts);
	if (rc == 0) {
		hex_encode(res.sha256, 32, hex);
		printf("bytes=%llu\nsha256=%s\nname=%s\ntype=%s\nurl=%s\n", (unsigned long long)res.bytes, hex,
		       res.file_name, res.content_type ? res.content_type : "", res.effective_url);
		if (res.error) {
			fprintf(stderr, "error set on success\n");
			rc = -EFAULT;
		}
	} else {
		printf("error=%s\n", res.error ? res.error : "(none)");
		if (!res.error || res.file_name) {
			fprintf(stderr, "failure without error, or with success outputs\n");
			rc = -EFAULT;
		}
	}
	fetch_result_clear(&res);
	ing_ctx_free(ctx);
	return rc == -EFAULT ? 3 : 0;
}

static int run_services(int argc, char **argv)
{
	static const char *const actions[] = { "direct", "follow", "api", "problem" };
	struct share_table *t = NULL;
	char *err = NULL;
	if (share_table_load(argv[1], &t, &err) < 0) {
		printf("error: %s\n", err ? err : "?");
		free(err);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		struct share_plan p;
		const char *portal = share_portal(t, argv[i]);
		if (share_plan(t, argv[i], &p) < 0) {
			printf("%s\tnone\t%s\n", argv[i], portal ? portal : "");
			continue;
		}
		printf("%s\t%s\t%s\t%s\t%s\n", argv[i], p.service, actions[p.action],
		       p.problem ? p.problem : p.url ? p.url : "", p.json ? p.json : "");
		share_plan_clear(&p);
	}
	share_table_free(t);
	return 0;
}

static int run_drop(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "allow-http", no_argument, NULL, 'h' },
		{ "ca", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "bytes", required_argument, NULL, 'b' },
		{ 0 },
	};
	struct ing_scan_opts so = { .fetch_links = true };
	struct ing_scan *scan = NULL;
	struct ing_ctx *ctx;
	struct ing_limits lim;
	char *json = NULL;
	int c, rc;

	if (ing_ctx_new(&ctx) < 0)
		return 1;
	ing_ctx_set_log(ctx, log_stderr, NULL, ING_LOG_DEBUG);
	lim = *ing_ctx_get_limits(ctx);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': so.allow_http = true; break;
		case 'c': so.ca_file = optarg; break;
		case 's': lim.max_download_seconds = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'b': lim.max_download_bytes = strtoull(optarg, NULL, 10); break;
		default: ing_ctx_free(ctx); return 1;
		}
	}
	ing_ctx_set_limits(ctx, &lim);
	if (argc - optind != 1) {
		fprintf(stderr, "usage: fetch-tool drop [OPTIONS] DIR\n");
		ing_ctx_free(ctx);
		return 1;
	}
	rc = ing_scan_path(ctx, argv[optind], &so, &scan);
	if (rc == 0)
		rc = ing_scan_to_json(scan, &json);
	if (rc == 0)
		puts(json);
	else
		fprintf(stderr, "fetch-tool: %s: %s\n", argv[optind], ing_strerror(rc));
	free(json);
	ing_scan_free(scan);
	ing_ctx_free(ctx);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = 1;
	if (argc >= 2 && strcmp(argv[1], "unit") == 0)
		r = run_unit();
	else if (argc >= 3 && strcmp(argv[1], "parse") == 0)
		r = run_parse(argv[2], argc >= 4 ? argv[3] : NULL);
	else if (argc >= 2 && strcmp(argv[1], "get") == 0)
		r = run_get(argc - 1, argv + 1);
	else if (argc >= 3 && strcmp(argv[1], "services") == 0)
		r = run_services(argc - 1, argv + 1);
	else if (argc >= 2 && strcmp(argv[1], "drop") == 0)
		r = run_drop(argc - 1, argv + 1);
	else
		fprintf(stderr, "usage: fetch-tool unit | parse FILE [NAME] | get [OPTIONS] URL OUT | drop [OPTIONS] DIR\n");
	curl_global_cleanup();
	return r;
}
