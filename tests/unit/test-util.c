/* Buffers with ceilings, UTF-8 sanitising, SHA-256. */
#include "internal.h"
#include "check.h"

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
	CHECK_DONE();
}
