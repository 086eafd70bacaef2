/* The text module (src/text.c): safe text, invisible characters, redaction of secrets. */
#include "suites.h"
#include "mem.h"
#include "text.h"

#include <string.h>

static void test_safe_text(void)
{
	char b[16], big[64];
	char s[] = "ok\x1b[31m\nx";

	CU_ASSERT_STRING_EQUAL(ith_safe_text("plain text", b, sizeof(b)), "plain text");
	CU_ASSERT_STRING_EQUAL(ith_safe_text(NULL, b, sizeof(b)), "");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("a\x1b]0;t\x07\r\n", b, sizeof(b)), "a?]0;t???");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("caf\xc3\xa9", b, sizeof(b)), "caf\xc3\xa9");           /* UTF-8 kept */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xc2\x9b" "2J", b, sizeof(b)), "?2J");                  /* C1 CSI */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xe2\x80\xae" "abc", b, sizeof(b)), "?abc");           /* RLO */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xff\xc3(\xe0\x80\x80", b, sizeof(b)), "?" "?(?");   /* invalid; an overlong form is one ? */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789abcdefghij", b, sizeof(b)), "0123456789ab...");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789abcde", b, sizeof(b)), "0123456789abcde");
	/* never cut inside a character */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789a\xc3\xa9\xc3\xa9\xc3\xa9", b, sizeof(b)), "0123456789a...");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(strlen(ith_safe_text(big, b, sizeof(b))), sizeof(b) - 1);
	CU_ASSERT_TRUE(ith_text_is_safe("caf\xc3\xa9 ok"));
	CU_ASSERT_FALSE(ith_text_is_safe("a\tb"));
	ith_sanitize_inplace(s);
	CU_ASSERT_STRING_EQUAL(s, "ok?[31m?x");
}

/* Server text that quotes a token: every occurrence goes, whatever surrounds it. */
static void test_redact(void)
{
	char a[] = "bad token apiv1_SECRET, again apiv1_SECRETapiv1_SECRET.";
	char b[] = "ab";
	char c[] = "nothing here";

	CU_ASSERT_EQUAL(ith_redact(a, "apiv1_SECRET", 12), 3);
	CU_ASSERT_STRING_EQUAL(a, "bad token ***, again ******.");
	CU_ASSERT_EQUAL(ith_redact(b, "b", 1), 1);
	CU_ASSERT_STRING_EQUAL(b, "a*");
	CU_ASSERT_EQUAL(ith_redact(c, "secret", 6), 0);
	CU_ASSERT_EQUAL(ith_redact(c, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(c, "nothing here");
}

/* Parts of secrets: a value a parser quoted cut short is a prefix, or a piece, of the token. */
static void test_redact_fragments(void)
{
	static const char tok[] = "apiv1_0123456789abcdef", mgmt[] = "mgmt_ZYXWVUTSRQPONM";
	struct ith_secret secs[3] = { { (char *)tok, sizeof(tok) - 1 }, { NULL, 0 }, { (char *)mgmt, sizeof(mgmt) - 1 } };
	char cut[] = "unknown permission action 'apiv1_0123456789...'";
	char mid[] = "see 6789abcdef and VUTSRQPO here";
	char whole[] = "apiv1_0123456789abcdefZ, again apiv1_0123456789abcdef";
	char shorter[] = "apiv1_0 and 9abcdef and mgmt_ZY stay";
	char eight[] = "x apiv1_01 y";
	char tail[] = "end: apiv1_0123456789abcdef";

	CU_ASSERT_EQUAL(ith_redact_fragments(cut, secs, 3, ITH_REDACT_MIN_RUN), 1);
	CU_ASSERT_STRING_EQUAL(cut, "unknown permission action '***...'");
	CU_ASSERT_EQUAL(ith_redact_fragments(mid, secs, 3, ITH_REDACT_MIN_RUN), 2);
	CU_ASSERT_STRING_EQUAL(mid, "see *** and *** here");
	CU_ASSERT_EQUAL(ith_redact_fragments(whole, secs, 3, ITH_REDACT_MIN_RUN), 2);
	CU_ASSERT_STRING_EQUAL(whole, "***Z, again ***");
	/* runs shorter than 8 bytes stay: ordinary words must not vanish */
	CU_ASSERT_EQUAL(ith_redact_fragments(shorter, secs, 3, ITH_REDACT_MIN_RUN), 0);
	CU_ASSERT_STRING_EQUAL(shorter, "apiv1_0 and 9abcdef and mgmt_ZY stay");
	CU_ASSERT_EQUAL(ith_redact_fragments(eight, secs, 3, ITH_REDACT_MIN_RUN), 1);
	CU_ASSERT_STRING_EQUAL(eight, "x *** y");
	/* nothing of the token is left behind the new end of the string either */
	CU_ASSERT_EQUAL(ith_redact_fragments(tail, secs, 1, ITH_REDACT_MIN_RUN), 1);
	CU_ASSERT_STRING_EQUAL(tail, "end: ***");
	for (size_t i = 0; i + 8 <= sizeof(tail); i++)
		CU_ASSERT_PTR_NULL(memmem(tok, sizeof(tok) - 1, tail + i, 8));
	CU_ASSERT_EQUAL(ith_redact_fragments(NULL, secs, 3, ITH_REDACT_MIN_RUN), 0);
	CU_ASSERT_EQUAL(ith_redact_fragments(eight, NULL, 0, ITH_REDACT_MIN_RUN), 0);
}

/* What prints as nothing or as '?' goes, so a token split by it is found; valid text stays. */
static void test_strip_invisible(void)
{
	char ff[] = "ABCDEFG\xffHIJKLMN\x80OPQRSTU\xc0VWXYZab\xe2" "cdef0123";
	char zw[] = "ABC\xe2\x80\x8b" "DEF\xf3\xa0\x80\xa0" "GHI\x01JKL\xc2\xad" "MNO\xef\xbb\xbf" "PQR";
	char keep[] = "caf\xc3\xa9 \xe2\x82\xac 1 \xf0\x9f\x98\x80 ok";
	char over[] = "A\xe0\x80\x80" "B\xed\xa0\x80" "C\xf4\x90\x80\x80" "D";
	char trunc[] = "xyz\xe2\x80";

	CU_ASSERT_EQUAL(ith_strip_invisible(ff), 4);
	CU_ASSERT_STRING_EQUAL(ff, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123");
	ith_strip_invisible(zw);
	CU_ASSERT_STRING_EQUAL(zw, "ABCDEFGHIJKLMNOPQR");
	CU_ASSERT_EQUAL(ith_strip_invisible(keep), 0);
	CU_ASSERT_STRING_EQUAL(keep, "caf\xc3\xa9 \xe2\x82\xac 1 \xf0\x9f\x98\x80 ok");
	ith_strip_invisible(over);  /* overlong, surrogate, beyond U+10FFFF: byte by byte, all gone */
	CU_ASSERT_STRING_EQUAL(over, "ABCD");
	ith_strip_invisible(trunc);
	CU_ASSERT_STRING_EQUAL(trunc, "xyz");
}

int register_text_tests(void)
{
	CU_pSuite s = CU_add_suite("text", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_safe_text);
	ADD(s, test_redact);
	ADD(s, test_redact_fragments);
	ADD(s, test_strip_invisible);
	return 0;
}
