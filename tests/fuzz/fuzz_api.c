/* libFuzzer target: every parser of outside JSON (API answers, state files). */
#include "error.h"
#include "state.h"
#include "token.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ith_token t = ITH_TOKEN_INIT;
	struct ith_token_list l = { NULL, 0 };
	struct ith_state st;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ith_token_parse_json(text, size, true, &t) == 0)
		ith_token_release(&t);
	if (ith_token_parse_json(text, size, false, &t) == 0) {
		char inst[ITH_UUID_LEN + 1], prof[ITH_NAME_MAX + 1];
		(void)ith_marker_parse(t.description, inst, prof);
		ith_token_release(&t);
	}
	if (ith_token_list_parse_json(text, size, &l) == 0)
		ith_token_list_release(&l);
	if (ith_state_from_json(text, size, &st) == 0) {
		char *back = ith_state_to_json(&st);
		ith_free_secret_str(back);
		ith_state_release(&st);
	}
	free(text);
	return 0;
}
