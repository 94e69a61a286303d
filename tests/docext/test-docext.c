/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Driver for the confined extractor: test-docext CASE DIR, with DIR holding
 * the inputs run.py made (one file per gen.py kind). Each case asserts on
 * what docext_run() returned, and that no child was left behind.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "docext.h"
#include "check.h"

static const char *dir;

static void log_cb(void *data, int level, const char *msg)
{
	(void)data;
	fprintf(stderr, "log<%d> %s\n", level, msg);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ing_ctx *new_ctx(void)
{
	struct ing_ctx *ctx = NULL;
	int r = ing_ctx_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "ing_ctx_new: %d\n", r);
		exit(1);
	}
	ing_ctx_set_log(ctx, log_cb, NULL, ING_LOG_DEBUG);
	return ctx;
}

static int open_input(const char *kind)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, kind);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(p);
		exit(1);
	}
	return fd;
}

/* Runs the extractor on DIR/kind; returns the result (caller frees). */
static struct doc_info *extract(struct ing_ctx *ctx, const char *kind, enum docext_type type,
                                const struct docext_opts *opts, double *secs)
{
	struct doc_info *d = xcalloc(1, sizeof(*d));
	int fd = open_input(kind);
	double t0 = now();
	int r = docext_run_opts(ctx, fd, type, opts, d);

	if (secs)
		*secs = now() - t0;
	CHECK(r == 0, "docext_run(%s) = %d", kind, r);
	close(fd);
	fprintf(stderr, "%s: pages=%d text_layer=%d ocr=%d conf=%.0f len=%zu error=%s\n", kind, d->pages,
	        d->text_layer, d->ocr, d->ocr_confidence, d->text_len,
	        d->extract_error ? d->extract_error : "-");
	return d;
}

/* No child may outlive a call: no zombie, no running extractor. */
static void check_no_children(void)
{
	int st;
	pid_t r = waitpid(-1, &st, WNOHANG);
	CHECK(r < 0 && errno == ECHILD, "a child was left behind (waitpid -> %d)", (int)r);
}

static bool has(const struct doc_info *d, const char *s)
{
	return d->text && strstr(d->text, s);
}

/* LINE is one whole line of S (the layout). */
static bool has_line(const char *s, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = s; p && (p = strstr(p, line)); p++)
		if ((p == s || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return true;
	return false;
}

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static size_t count_char(const struct doc_info *d, char c)
{
	size_t n = 0;
	for (size_t i = 0; i < d->text_len; i++)
		n += d->text[i] == c;
	return n;
}

static void case_text_pdf(struct ing_ctx *ctx)
{
	struct doc_info *d = extract(ctx, "text-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(!d->extract_error, "%s", d->extract_error);
	CHECK(d->pages == 3, "pages %d", d->pages);
	CHECK(d->text_layer, "no text layer");
	CHECK(!d->ocr, "OCR on a text PDF");
	CHECK(has(d, "SURGICAL PATHOLOGY REPORT"), "page 1 text");
	CHECK(has(d, "HER2 negative (1+)"), "page 2 text");
	CHECK(has(d, "margins clear"), "page 3 text");
	CHECK(count_char(d, '\f') == 2, "form feeds %zu", count_char(d, '\f'));
	CHECK(d->text && strlen(d->text) == d->text_len, "text_len");
	/* One printed line each; pages apart by a blank line. */
	CHECK(d->layout && strlen(d->layout) == d->layout_len, "layout_len");
	CHECK(has_line(d->layout, "SURGICAL PATHOLOGY REPORT") && has_line(d->layout, "ER: positive (90%)") &&
	      has_line(d->layout, "Page two: HER2 negative (1+)"), "layout: %s", show(d->layout));
	CHECK(strstr(d->layout, "ER: positive (90%)\n\nPage two"), "no blank line between pages: %s", d->layout);
	doc_info_free(d);

	/* max_pages bounds what is read, not what is counted. */
	struct ing_limits l = *ing_ctx_get_limits(ctx);
	l.max_pages = 1;
	ing_ctx_set_limits(ctx, &l);
	d = extract(ctx, "text-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(d->pages == 3, "pages %d", d->pages);
	CHECK(has(d, "SURGICAL") && !has(d, "margins clear"), "max_pages not honoured");
	doc_info_free(d);
}

static void case_image_pdf(struct ing_ctx *ctx)
{
	struct doc_info *d = extract(ctx, "image-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(!d->extract_error, "%s", d->extract_error);
	CHECK(d->pages == 1, "pages %d", d->pages);
	CHECK(!d->text_layer, "text layer claimed on a scan");
	CHECK(d->ocr, "not OCRed");
	CHECK(has(d, "CEA") && has(d, "4.2"), "OCR text: %s", d->text ? d->text : "(null)");
	CHECK(has(d, "LABORATORY"), "OCR text");
	CHECK(d->ocr_confidence > 50 && d->ocr_confidence <= 100, "confidence %.0f", d->ocr_confidence);
	doc_info_free(d);

	struct docext_opts o = { .no_pdf_ocr = true };
	d = extract(ctx, "image-pdf", DOCEXT_PDF, &o, NULL);
	CHECK(!d->extract_error && !d->text_layer && !d->ocr, "no_pdf_ocr");
	doc_info_free(d);
}

/* A PDF with a text page and a scanned page: the text page from its text
 * layer, the scanned one by OCR (#17); without OCR only the text page. */
static void case_mixed_pdf(struct ing_ctx *ctx)
{
	struct doc_info *d = extract(ctx, "mixed-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(!d->extract_error, "%s", d->extract_error);
	CHECK(d->pages == 2, "pages %d", d->pages);
	CHECK(d->text_layer, "the text page's layer not seen");
	CHECK(d->ocr, "the scanned page was not OCRed");
	CHECK(has(d, "SURGICAL PATHOLOGY") && has(d, "ER: positive"), "text page: %s", d->text ? d->text : "(null)");
	CHECK(has(d, "CEA") && has(d, "4.2"), "scanned page: %s", d->text ? d->text : "(null)");
	CHECK(d->ocr_confidence > 50, "confidence %.0f", d->ocr_confidence);
	/* the text page comes first, as in the document */
	CHECK(d->text && strstr(d->text, "SURGICAL") < strstr(d->text, "CEA"), "page order");
	doc_info_free(d);

	struct docext_opts o = { .no_pdf_ocr = true };
	d = extract(ctx, "mixed-pdf", DOCEXT_PDF, &o, NULL);
	CHECK(!d->extract_error && d->text_layer && !d->ocr, "no_pdf_ocr");
	CHECK(has(d, "SURGICAL PATHOLOGY") && !has(d, "CEA"), "no_pdf_ocr text: %s", d->text ? d->text : "(null)");
	doc_info_free(d);
}

/* An image with more pixels than OCR reads is refused from its header,
 * quickly, as a limit, saying its size (#17). */
static void case_image_too_large(struct ing_ctx *ctx)
{
	double secs;
	struct doc_info *d = extract(ctx, "png-huge", DOCEXT_IMAGE, NULL, &secs);
	CHECK(d->extract_error && strstr(d->extract_error, "30000 x 30000"), "error: %s",
	      d->extract_error ? d->extract_error : "(none)");
	CHECK(d->extract_problem == PROB_LIMIT, "problem %s", problem_name(d->extract_problem));
	CHECK(!d->text, "text with an error");
	CHECK(secs < 20, "refusing took %.1f s", secs);
	printf("FIGURE image of 900 Mpixel refused after %.2f s: %s\n", secs, d->extract_error);
	doc_info_free(d);
}

static void case_image(struct ing_ctx *ctx, const char *kind)
{
	struct doc_info *d = extract(ctx, kind, DOCEXT_IMAGE, NULL, NULL);
	CHECK(!d->extract_error, "%s", d->extract_error);
	CHECK(d->ocr, "not OCRed");
	CHECK(!d->text_layer, "an image has no text layer");
	CHECK(d->pages == 1, "pages %d", d->pages);
	CHECK(has(d, "CEA") && has(d, "4.2"), "OCR text: %s", d->text ? d->text : "(null)");
	CHECK(has(d, "Haemoglobin") || has(d, "12.1"), "OCR text");
	CHECK(d->ocr_confidence > 50, "confidence %.0f", d->ocr_confidence);
	doc_info_free(d);
}

static void case_langs(struct ing_ctx *ctx)
{
	/* A valid multi-language list works; a hostile one falls back to eng. */
	struct docext_opts o = { .ocr_langs = "eng+rus" };
	double t0, t1, t4;
	struct doc_info *d = extract(ctx, "lab-jpeg", DOCEXT_IMAGE, NULL, &t0);
	CHECK(!d->extract_error && has(d, "CEA"), "default");
	doc_info_free(d);
	d = extract(ctx, "lab-jpeg", DOCEXT_IMAGE, &o, &t1);
	CHECK(!d->extract_error && has(d, "CEA"), "eng+rus");
	doc_info_free(d);
	o.ocr_langs = "../../etc/passwd";
	d = extract(ctx, "lab-jpeg", DOCEXT_IMAGE, &o, NULL);
	CHECK(!d->extract_error && has(d, "CEA"), "bad list");
	doc_info_free(d);
	o.ocr_langs = "xx";
	d = extract(ctx, "lab-jpeg", DOCEXT_IMAGE, &o, NULL);
	CHECK(d->extract_error && strstr(d->extract_error, "not available"), "missing language");
	doc_info_free(d);
	o.ocr_langs = "eng+chi_sim+ara+rus";
	d = extract(ctx, "lab-jpeg", DOCEXT_IMAGE, &o, &t4);
	CHECK(!d->extract_error && has(d, "CEA"), "4 languages");
	doc_info_free(d);
	printf("FIGURE ocr one image: eng %.2f s, eng+rus %.2f s, eng+chi_sim+ara+rus %.2f s\n", t0, t1, t4);
}

/* A table (marker, clone, result, reference in columns) and a two-column
 * page: the layout keeps each row, cells apart by '\t'; the reading-order
 * text keeps the columns' sentences. */
static void case_layout_pdf(struct ing_ctx *ctx)
{
	static const char *const rows[] = {
		"Marker\tClone\tResult\tReference",
		"ER\tSP1\tpositive (90%)\t> 1%",
		"PR\t1E2\tnegative\t> 1%",
		"HER2\t4B5\t1+\t0-3+",
		"Ki-67\tMIB-1\t20%\t< 14%",
		/* words apart by spaces, not cells */
		"IMMUNOHISTOCHEMISTRY",
		"Specimen A: left breast, core biopsy.",
		"Comment: staining adequate, controls as expected.",
		/* two columns: one printed line, a column gap */
		"The tumour measures 22 mm\tLymph nodes: 0 of 3 are",
		"in greatest dimension and\tinvolved by carcinoma. No",
		"is an invasive carcinoma.\tvascular invasion is seen.",
	};
	struct doc_info *d = extract(ctx, "table-pdf", DOCEXT_PDF, NULL, NULL);
	size_t text_len;

	CHECK(!d->extract_error && d->pages == 2 && d->text_layer && !d->ocr, "%s", show(d->extract_error));
	CHECK(d->layout && strlen(d->layout) == d->layout_len, "layout");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		CHECK(has_line(d->layout, rows[i]), "row \"%s\" not in the layout:\n%s", rows[i], show(d->layout));
	CHECK(strstr(d->layout, "expected.\n\nThe tumour"), "pages: %s", show(d->layout));
	/* The reading order is poppler's, as before: the columns' sentences. */
	CHECK(has(d, "The tumour measures 22 mm\nin greatest dimension and\nis an invasive carcinoma."),
	      "text: %s", show(d->text));
	CHECK(d->text_len + d->layout_len <= ing_ctx_get_limits(ctx)->max_text_bytes, "budget");
	text_len = d->text_len;
	doc_info_free(d);

	/* Text and layout share max_text_bytes: the text whole, then whole
	 * lines of layout while they fit. */
	struct ing_limits l = *ing_ctx_get_limits(ctx);
	l.max_text_bytes = text_len + 120;
	ing_ctx_set_limits(ctx, &l);
	d = extract(ctx, "table-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(d->text_len == text_len, "text cut for the layout: %zu of %zu", d->text_len, text_len);
	CHECK(d->layout && d->layout_len > 0 && d->layout_len <= 120 && d->layout[d->layout_len - 1] == '\n',
	      "layout in the budget: %zu bytes: %s", d->layout_len, show(d->layout));
	CHECK(has_line(d->layout, "Marker\tClone\tResult\tReference") && !strstr(d->layout, "Ki-67"),
	      "layout in the budget: %s", show(d->layout));
	doc_info_free(d);
	l.max_text_bytes = text_len;
	ing_ctx_set_limits(ctx, &l);
	d = extract(ctx, "table-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(d->text_len == text_len && !d->layout && !d->layout_len, "no room: %zu", d->layout_len);
	doc_info_free(d);
}

/* A right-to-left page (Arabic, glyphs drawn in visual order): every line
 * of it in the text (poppler's selection from the top left corner loses the
 * flows before it, the one from the top right others), and the layout in
 * reading order: cells from the right, Arabic words and letters in logical
 * order, numbers and Latin names left to right inside, a row with no Arabic
 * letter read as the rows above it, brackets turned back. (Not yet: the
 * page's last sentence is in neither of poppler's two selections, so it is
 * in neither text nor layout; poppler-glib has no other way to its words.) */
static void case_layout_rtl(struct ing_ctx *ctx)
{
	static const char *const rows[] = {
		"مستشفى الاختبار الجامعي",
		"اسم المريض:\tسارة علي\tالتاريخ:\t2026/02/18",
		"الواسم\tالنسخة\tالنتيجة",
		"مستقبلات الإستروجين ER\tSP1\tإيجابي 90%",
		"HER2\t4B5\tسلبي (1+)",
		"Ki-67\tMIB-1\t20%",
	};
	struct doc_info *d = extract(ctx, "ar-table-pdf", DOCEXT_PDF, NULL, NULL);

	CHECK(!d->extract_error && d->pages == 1 && d->text_layer && !d->ocr, "%s", show(d->extract_error));
	CHECK(d->layout && strlen(d->layout) == d->layout_len, "layout");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		CHECK(has_line(d->layout, rows[i]), "row \"%s\" not in the layout:\n%s", rows[i], show(d->layout));
		/* The text is the page's lines in reading order too. */
		CHECK(has_line(d->text, rows[i]), "row \"%s\" not in the text:\n%s", rows[i], show(d->text));
	}
	doc_info_free(d);
}

/* An OCR'd table: each printed row one line, its cells apart by '\t'
 * (the sheet is tilted by 1.5 degrees: the row must stay one line); a photo
 * upside down is read upright. */
static void case_layout_ocr(struct ing_ctx *ctx)
{
	static const char *const kinds[] = { "lab-jpeg", "lab-jpeg-rot180" };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		double secs;
		struct doc_info *d = extract(ctx, kinds[i], DOCEXT_IMAGE, NULL, &secs);
		CHECK(!d->extract_error && d->ocr, "%s: %s", kinds[i], show(d->extract_error));
		CHECK(has(d, "CEA") && has(d, "4.2") && has(d, "LABORATORY"), "%s upright: %s", kinds[i],
		      show(d->text));
		CHECK(d->layout && strlen(d->layout) == d->layout_len, "%s: layout", kinds[i]);
		CHECK(has_line(d->layout, "Test\tResult\tUnits"), "%s: header row:\n%s", kinds[i], show(d->layout));
		CHECK(has_line(d->layout, "CEA\t4.2\tng/mL"), "%s: CEA row:\n%s", kinds[i], show(d->layout));
		CHECK(strstr(d->layout, "Platelets\t245\t") && strstr(d->layout, "Creatinine\t0.9\tmg/dL"),
		      "%s: rows:\n%s", kinds[i], show(d->layout));
		printf("FIGURE OCR %s: %.2f s\n", kinds[i], secs);
		doc_info_free(d);
	}
}

/* No language given: OSD's script chooses it (Cyrillic: rus+eng, Han:
 * chi_sim+eng); without that, "eng" reads neither. */
static void case_ocr_scripts(struct ing_ctx *ctx)
{
	static const struct {
		const char *kind, *words[3];
	} cases[] = {
		{ "ru-jpeg", { "ОБЩИЙ АНАЛИЗ КРОВИ", "Гемоглобин", "Тромбоциты" } },
		{ "zh-jpeg", { "病理诊断报告", "浸润性导管癌", "阴性" } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		double secs, secs_eng;
		struct doc_info *d = extract(ctx, cases[i].kind, DOCEXT_IMAGE, NULL, &secs);
		CHECK(!d->extract_error && d->ocr, "%s: %s", cases[i].kind, show(d->extract_error));
		for (size_t k = 0; k < ARRAY_SIZE(cases[i].words); k++)
			CHECK(has(d, cases[i].words[k]), "%s: \"%s\" not read:\n%s", cases[i].kind, cases[i].words[k],
			      show(d->text));
		CHECK(d->layout && strstr(d->layout, cases[i].words[1]), "%s: layout:\n%s", cases[i].kind,
		      show(d->layout));
		doc_info_free(d);
		/* The caller's languages are obeyed: English alone does not read it. */
		struct docext_opts o = { .ocr_langs = "eng" };
		d = extract(ctx, cases[i].kind, DOCEXT_IMAGE, &o, &secs_eng);
		CHECK(!d->extract_error && !has(d, cases[i].words[1]), "%s: eng read it?", cases[i].kind);
		doc_info_free(d);
		printf("FIGURE OCR %s: %.2f s (script found, read again in its languages); eng alone %.2f s\n",
		       cases[i].kind, secs, secs_eng);
	}
	/* A short Chinese page of marker names: the Latin names read well in
	 * any script's languages, and OSD calls the page Cyrillic (the first) or
	 * names no script of ours (the second); the reading in Han's languages
	 * is the best, and it reads the page. */
	static const struct {
		const char *kind, *words[2];
	} mixed[] = {
		{ "zh-mixed-jpeg", { "病理诊断报告", "免疫组化" } },
		{ "zh-mixed2-jpeg", { "病理科", "免疫组化" } },
	};
	for (size_t i = 0; i < ARRAY_SIZE(mixed); i++) {
		double secs;
		struct doc_info *d = extract(ctx, mixed[i].kind, DOCEXT_IMAGE, NULL, &secs);
		CHECK(!d->extract_error && d->ocr, "%s: %s", mixed[i].kind, show(d->extract_error));
		for (size_t k = 0; k < ARRAY_SIZE(mixed[i].words); k++)
			CHECK(has(d, mixed[i].words[k]), "%s: \"%s\" not read:\n%s", mixed[i].kind, mixed[i].words[k],
			      show(d->text));
		CHECK(has(d, "HER2"), "%s: HER2 not read:\n%s", mixed[i].kind, show(d->text));
		doc_info_free(d);
		printf("FIGURE OCR %s: %.2f s (OSD not taken on its word: the scripts' readings compared)\n",
		       mixed[i].kind, secs);
	}
}

static void case_text_encodings(struct ing_ctx *ctx)
{
	static const char *const kinds[] = { "utf8", "utf16le", "utf16be" };
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		struct doc_info *d = extract(ctx, kinds[i], DOCEXT_TEXT, NULL, NULL);
		CHECK(!d->extract_error, "%s: %s", kinds[i], d->extract_error);
		CHECK(d->text_layer && d->pages == 1 && !d->ocr, "%s: flags", kinds[i]);
		CHECK(has(d, "Hämoglobin 12,1 g/dL – ER positive (90 %)"), "%s: %s", kinds[i], d->text);
		CHECK(has(d, "€ 5 ≥ 3") && has(d, "病理报告"), "%s: %s", kinds[i], d->text);
		CHECK(d->text && (unsigned char)d->text[0] != 0xef, "%s: BOM kept", kinds[i]);
		CHECK(!d->layout && !d->layout_len, "%s: plain text is its own layout, no copy", kinds[i]);
		doc_info_free(d);
	}
	struct doc_info *d = extract(ctx, "utf16-nobom", DOCEXT_TEXT, NULL, NULL);
	CHECK(has(d, "Hämoglobin 12,1 g/dL Hämoglobin"), "utf16 without BOM: %s", d->text);
	doc_info_free(d);
	d = extract(ctx, "cp1252", DOCEXT_TEXT, NULL, NULL);
	CHECK(has(d, "Hämoglobin 12,1 g/dL – € 5"), "cp1252: %s", d->text);
	doc_info_free(d);
}

static bool valid_utf8(const char *s, size_t n)
{
	/* Just the structure: lead bytes followed by the right continuation count. */
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t l = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (l == 0 || i + l > n)
			return false;
		for (size_t k = 1; k < l; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return false;
		i += l;
	}
	return true;
}

static void case_truncate(struct ing_ctx *ctx)
{
	struct ing_limits l = *ing_ctx_get_limits(ctx);
	l.max_text_bytes = 1001; /* lands inside a multi-byte character */
	ing_ctx_set_limits(ctx, &l);
	struct doc_info *d = extract(ctx, "long-text", DOCEXT_TEXT, NULL, NULL);
	CHECK(!d->extract_error, "%s", d->extract_error);
	CHECK(d->text_len > 900 && d->text_len <= 1001, "len %zu", d->text_len);
	CHECK(valid_utf8(d->text, d->text_len), "cut inside a character");
	doc_info_free(d);
}

static void case_error(struct ing_ctx *ctx, const char *kind, enum docext_type t, const char *words)
{
	struct doc_info *d = extract(ctx, kind, t, NULL, NULL);
	CHECK(d->extract_error && strstr(d->extract_error, words), "%s: want \"%s\", got \"%s\"", kind, words,
	      d->extract_error ? d->extract_error : "(none)");
	CHECK(!d->text, "text with an error");
	doc_info_free(d);
}

static void case_crash(struct ing_ctx *ctx)
{
	/* Without the variable the marker does nothing. */
	unsetenv("INGEST_TEST_EXTRACTOR_FAULT");
	struct doc_info *d = extract(ctx, "fault-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(!d->extract_error && has(d, "Harmless page"), "marker alone changed the result");
	doc_info_free(d);

	setenv("INGEST_TEST_EXTRACTOR_FAULT", "crash", 1);
	case_error(ctx, "fault-pdf", DOCEXT_PDF, "crashed");
	/* Still usable after a crash. */
	unsetenv("INGEST_TEST_EXTRACTOR_FAULT");
	d = extract(ctx, "fault-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(!d->extract_error, "after the crash");
	doc_info_free(d);
}

static void case_hang(struct ing_ctx *ctx)
{
	struct ing_limits l = *ing_ctx_get_limits(ctx);
	double secs;
	l.extract_cpu_seconds = 1;
	ing_ctx_set_limits(ctx, &l);
	setenv("INGEST_TEST_EXTRACTOR_FAULT", "hang", 1);
	struct doc_info *d = extract(ctx, "fault-pdf", DOCEXT_PDF, NULL, &secs);
	CHECK(d->extract_error && strstr(d->extract_error, "stopped"), "%s", d->extract_error);
	/* The CPU limit (1 s, SIGKILL at 2 s) ends it; the wall clock at 4 s. */
	CHECK(secs < 4.5, "took %.2f s", secs);
	printf("FIGURE hang stopped after %.2f s (cpu limit 1 s)\n", secs);
	doc_info_free(d);
}

static void case_stall(struct ing_ctx *ctx)
{
	struct ing_limits l = *ing_ctx_get_limits(ctx);
	double secs;
	l.extract_cpu_seconds = 1;
	ing_ctx_set_limits(ctx, &l);
	setenv("INGEST_TEST_EXTRACTOR_FAULT", "stall", 1);
	struct doc_info *d = extract(ctx, "fault-pdf", DOCEXT_PDF, NULL, &secs);
	CHECK(d->extract_error && strstr(d->extract_error, "took longer than 4 s"), "%s", d->extract_error);
	/* The wall clock: 2 x 1 s + 2 s. */
	CHECK(secs >= 3.9 && secs < 5.0, "took %.2f s", secs);
	printf("FIGURE stall stopped after %.2f s (wall limit 4 s)\n", secs);
	doc_info_free(d);
}

static void case_too_big(struct ing_ctx *ctx)
{
	struct ing_limits l = *ing_ctx_get_limits(ctx);
	double secs;
	l.max_doc_bytes = 16 << 20;
	ing_ctx_set_limits(ctx, &l);
	struct doc_info *d = extract(ctx, "big", DOCEXT_PDF, NULL, &secs);
	CHECK(d->extract_error && strstr(d->extract_error, "more than the 16 MB"), "%s", d->extract_error);
	CHECK(secs < 0.5, "refusing took %.2f s", secs);
	doc_info_free(d);
}

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

static int case_mem_bomb(struct ing_ctx *ctx)
{
#ifdef TEST_ASAN
	/* ASan builds run the child without RLIMIT_AS (see docext.c). */
	(void)ctx;
	printf("SKIP: the memory limit is not applied under AddressSanitizer\n");
	return 77;
#else
	struct ing_limits l = *ing_ctx_get_limits(ctx);
	double secs;
	l.extract_mem_bytes = 300 << 20;
	ing_ctx_set_limits(ctx, &l);
	struct doc_info *d = extract(ctx, "png-bomb", DOCEXT_IMAGE, NULL, &secs);
	CHECK(d->extract_error != NULL, "a 400 MB image decoded within 300 MB");
	CHECK(!d->text, "text with an error");
	printf("FIGURE image bomb refused after %.2f s: %s\n", secs, d->extract_error);
	doc_info_free(d);
	return 0;
#endif
}

static int reaped_by_handler;
static void sigchld_reaper(int sig)
{
	(void)sig;
	int saved = errno;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped_by_handler++;
	errno = saved;
}

static void case_sigchld(struct ing_ctx *ctx)
{
	/* A caller whose SIGCHLD handler reaps every child. */
	struct sigaction sa = { .sa_handler = sigchld_reaper, .sa_flags = SA_RESTART };
	sigaction(SIGCHLD, &sa, NULL);
	struct doc_info *d = extract(ctx, "text-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(!d->extract_error && d->pages == 3, "with a reaping handler");
	doc_info_free(d);
	setenv("INGEST_TEST_EXTRACTOR_FAULT", "crash", 1);
	d = extract(ctx, "fault-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(d->extract_error != NULL, "a crash went unnoticed with a reaping handler");
	doc_info_free(d);
	fprintf(stderr, "handler reaped %d\n", reaped_by_handler);

	/* A caller that ignores SIGCHLD (children reaped by the kernel). */
	signal(SIGCHLD, SIG_IGN);
	unsetenv("INGEST_TEST_EXTRACTOR_FAULT");
	d = extract(ctx, "text-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(!d->extract_error && d->pages == 3, "with SIGCHLD ignored");
	doc_info_free(d);
	setenv("INGEST_TEST_EXTRACTOR_FAULT", "crash", 1);
	d = extract(ctx, "fault-pdf", DOCEXT_PDF, NULL, NULL);
	CHECK(d->extract_error != NULL, "a crash went unnoticed with SIGCHLD ignored");
	doc_info_free(d);
	signal(SIGCHLD, SIG_DFL);
}

static void case_bench(struct ing_ctx *ctx)
{
	const int n_text = 40, n_ocr = 3;
	double t0 = now();
	for (int i = 0; i < n_text; i++) {
		struct doc_info *d = extract(ctx, "text-pdf", DOCEXT_PDF, NULL, NULL);
		CHECK(!d->extract_error && d->text_layer, "text pdf");
		doc_info_free(d);
	}
	double t_text = now() - t0;
	t0 = now();
	for (int i = 0; i < n_ocr; i++) {
		struct doc_info *d = extract(ctx, "image-pdf", DOCEXT_PDF, NULL, NULL);
		CHECK(!d->extract_error && d->ocr && has(d, "CEA"), "scanned pdf");
		doc_info_free(d);
	}
	double t_ocr = now() - t0;
	printf("FIGURE text PDFs (3 pages each): %.1f documents/s\n", n_text / t_text);
	printf("FIGURE scanned PDF pages (render 200 dpi + OCR eng): %.2f pages/s (%.2f s/page)\n",
	       n_ocr / t_ocr, t_ocr / n_ocr);
}

/* Not a test: prints what a file gives (DUMP_KIND=file name in DIR, type from
 * its name: .pdf, .txt, else an image; DUMP_LANGS: OCR languages), for
 * looking at layouts by hand. */
static void case_dump(struct ing_ctx *ctx, const char *kind)
{
	enum docext_type t = strstr(kind, "pdf") ? DOCEXT_PDF : strstr(kind, "txt") ? DOCEXT_TEXT : DOCEXT_IMAGE;
	struct docext_opts o = { .ocr_langs = getenv("DUMP_LANGS") };
	double secs;
	struct doc_info *d = extract(ctx, kind, t, &o, &secs);
	printf("---- text (%.2f s)\n%s\n---- layout\n%s\n----\n", secs, d->text ? d->text : "(null)",
	       d->layout ? d->layout : "(null)");
	doc_info_free(d);
}

int main(int argc, char **argv)
{
	struct ing_ctx *ctx;
	const char *c;

	if (argc != 3) {
		fprintf(stderr, "usage: test-docext CASE DIR\n");
		return 2;
	}
	c = argv[1];
	dir = argv[2];
	ctx = new_ctx();

	if (!strcmp(c, "text-pdf"))
		case_text_pdf(ctx);
	else if (!strcmp(c, "image-pdf"))
		case_image_pdf(ctx);
	else if (!strcmp(c, "image"))
		case_image(ctx, "lab-jpeg");
	else if (!strcmp(c, "image-rotated"))
		case_image(ctx, "lab-jpeg-rot90");
	else if (!strcmp(c, "langs"))
		case_langs(ctx);
	else if (!strcmp(c, "layout-pdf"))
		case_layout_pdf(ctx);
	else if (!strcmp(c, "layout-rtl"))
		case_layout_rtl(ctx);
	else if (!strcmp(c, "layout-ocr"))
		case_layout_ocr(ctx);
	else if (!strcmp(c, "ocr-scripts"))
		case_ocr_scripts(ctx);
	else if (!strcmp(c, "text-encodings"))
		case_text_encodings(ctx);
	else if (!strcmp(c, "truncate"))
		case_truncate(ctx);
	else if (!strcmp(c, "garbage"))
		case_error(ctx, "garbage", DOCEXT_PDF, "damaged");
	else if (!strcmp(c, "encrypted"))
		case_error(ctx, "encrypted-pdf", DOCEXT_PDF, "password-protected");
	else if (!strcmp(c, "crash"))
		case_crash(ctx);
	else if (!strcmp(c, "hang"))
		case_hang(ctx);
	else if (!strcmp(c, "stall"))
		case_stall(ctx);
	else if (!strcmp(c, "too-big"))
		case_too_big(ctx);
	else if (!strcmp(c, "mixed-pdf"))
		case_mixed_pdf(ctx);
	else if (!strcmp(c, "image-too-large"))
		case_image_too_large(ctx);
	else if (!strcmp(c, "mem-bomb")) {
		if (case_mem_bomb(ctx) == 77) {
			ing_ctx_free(ctx);
			return 77;
		}
	} else if (!strcmp(c, "sigchld"))
		case_sigchld(ctx);
	else if (!strcmp(c, "bench"))
		case_bench(ctx);
	else if (!strcmp(c, "dump") && getenv("DUMP_KIND"))
		case_dump(ctx, getenv("DUMP_KIND"));
	else {
		fprintf(stderr, "unknown case %s\n", c);
		return 2;
	}
	check_no_children();
	ing_ctx_free(ctx);
	CHECK_DONE();
}
