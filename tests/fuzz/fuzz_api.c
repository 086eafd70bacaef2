/* libFuzzer target: every parser of outside JSON (API answers, state files). */
#include "error.h"
#include "state.h"
#include "token.h"
#include "id.h"
#include "mem.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ith_token t = ITH_TOKEN_INIT;
	struct ith_token_list l = { NULL, 0 };
	struct ith_state st;
	struct ith_strbuf E = ITH_STRBUF_INIT;  /* the parsers' messages: dropped */
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ith_token_parse_json(text, size, true, &t, &E) == 0)
		ith_token_release(&t);
	if (ith_token_parse_json(text, size, false, &t, &E) == 0) {
		char inst[ITH_UUID_LEN + 1], prof[ITH_NAME_MAX + 1];
		(void)ith_marker_parse(t.description, inst, prof);
		ith_token_release(&t);
	}
	/* the list parser, whole and in two pieces split at every 97th byte */
	if (ith_token_list_parse_json(text, size, "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", &l, NULL, &E) == 0)
		ith_token_list_release(&l);
	{
		struct ith_list_parser *lp = ith_list_parser_new("0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", NULL, NULL);
		size_t cut = size % 97 < size ? size % 97 : 0;
		if (ith_list_parser_feed(lp, text, cut, &E) == 0 && ith_list_parser_feed(lp, text + cut, size - cut, &E) == 0 &&
		    ith_list_parser_finish(lp, &l, NULL, &E) == 0)
			ith_token_list_release(&l);
		ith_list_parser_free(lp);
	}
	if (ith_state_from_json(text, size, &st, &E) == 0) {
		char *back = ith_state_to_json(&st);
		ith_free_secret_str(back);
		ith_state_release(&st);
	}
	ith_strbuf_release(&E);
	free(text);
	return 0;
}
