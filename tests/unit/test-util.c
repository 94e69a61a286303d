/* Buffers with ceilings, UTF-8 sanitising, SHA-256, the bounded whole-file
 * read and the YAML loading helper. */
#include <fcntl.h>
#include <sys/stat.h>

#include "internal.h"
#include "util/yaml.h"
#include "check.h"

static void put(int dfd, const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write_all(fd, text, strlen(text)) == 0);
	close(fd);
}

static void check_read_file(void)
{
	char tmpl[] = "/tmp/test-util-XXXXXX";
	CHECK(mkdtemp(tmpl) != NULL);
	int dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *s = NULL;
	size_t n = 99;

	put(dfd, "five", "12345");
	put(dfd, "empty", "");
	CHECK(symlinkat("five", dfd, "link") == 0);
	CHECK(mkdirat(dfd, "dir", 0700) == 0);
	CHECK(mkfifoat(dfd, "fifo", 0600) == 0);

	CHECK_INT(read_file_at(dfd, "five", 5, 0, &s, &n), 0);     /* exactly MAX is fine */
	CHECK_STR(s, "12345");
	CHECK_INT(n, 5);
	free(s);
	s = NULL;
	CHECK_INT(read_file_at(dfd, "five", 4, 0, &s, &n), -EFBIG);
	CHECK(s == NULL);                                            /* nothing written on failure */
	CHECK_INT(read_file_at(dfd, "empty", 4, 0, &s, &n), 0);
	CHECK_STR(s, "");
	CHECK_INT(n, 0);
	free(s);
	CHECK_INT(read_file_at(dfd, "link", 5, 0, &s, NULL), 0);   /* followed unless O_NOFOLLOW */
	free(s);
	CHECK_INT(read_file_at(dfd, "link", 5, O_NOFOLLOW, &s, NULL), -ELOOP);
	CHECK_INT(read_file_at(dfd, "dir", 5, 0, &s, NULL), -EINVAL);
	CHECK_INT(read_file_at(dfd, "fifo", 5, O_NONBLOCK, &s, NULL), -EINVAL);
	CHECK_INT(read_file_at(dfd, "none", 5, 0, &s, NULL), -ENOENT);

	close(dfd);
	CHECK_INT(rm_rf_at(AT_FDCWD, tmpl), 0);
}

static void check_yaml_parse(void)
{
	struct fy_document *doc = NULL;
	char *msg = NULL;
	int line = 0, col = 0;

	CHECK_INT(yaml_parse_text("a: 1\n", 5, &doc, &line, &col, &msg), 0);
	CHECK(doc && fy_node_is_mapping(fy_document_root(doc)));
	CHECK(msg == NULL);
	fy_document_destroy(doc);
	doc = NULL;
	CHECK_INT(yaml_parse_text("a: 1\nb: \xff\n", 10, &doc, &line, &col, &msg), -EILSEQ);
	CHECK(line == 2 && col == 4, "%d:%d", line, col);
	CHECK(doc == NULL && msg == NULL);
	CHECK_INT(yaml_parse_text("a: [\n", 5, &doc, &line, &col, &msg), -EINVAL);
	CHECK(line == 2 && col == 1, "%d:%d", line, col);
	CHECK(msg && *msg);                                          /* libfyaml's words */
	free(msg);
	msg = NULL;
	/* Blanks and comments only: an empty document (no root), not an error. */
	CHECK_INT(yaml_parse_text("# only\n", 7, &doc, &line, &col, &msg), 0);
	CHECK(doc && fy_document_root(doc) == NULL && msg == NULL);
	fy_document_destroy(doc);
	doc = NULL;
	CHECK_INT(yaml_parse_text("\n  # a\n\n# b\n", 12, &doc, &line, &col, &msg), 0);
	CHECK(doc && fy_document_root(doc) == NULL && msg == NULL);
	fy_document_destroy(doc);
	doc = NULL;
}

int main(void)
{
	struct strbuf b;
	strbuf_init(&b, 10);
	CHECK_INT(strbuf_puts(&b, "12345"), 0);
	CHECK_INT(strbuf_puts(&b, "67890"), 0);
	CHECK_INT(strbuf_puts(&b, "x"), -E2BIG);           /* over the ceiling: refused */
	CHECK_STR(b.s, "1234567890");                       /* and left as it was */
	strbuf_free(&b);

	char *s = utf8_sanitize("ok\xff\xfe é \x01", 9);
	CHECK_STR(s, "ok\xef\xbf\xbd\xef\xbf\xbd \xc3\xa9 ?");
	free(s);
	s = utf8_sanitize("\xc0\xaf", 2);                    /* overlong '/' is not let through */
	CHECK(strchr(s, '/') == NULL);
	free(s);

	uint8_t h[32];
	char hex[65];
	struct sha256_ctx *c = sha256_new();
	sha256_update(c, "ab", 2);
	sha256_update(c, "c", 1);
	sha256_final(c, h);
	sha256_free(c);
	hex_encode(h, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	struct ing_limits l;
	ing_limits_default(&l);
	/* the defaults must let a real DVD through */
	CHECK(l.max_entries >= 10000);
	CHECK(l.max_total_bytes >= UINT64_C(8500000000));

	check_read_file();
	check_yaml_parse();
	CHECK_DONE();
}
