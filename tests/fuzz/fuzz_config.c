/* libFuzzer target: the config loader on arbitrary text. */
#include "config.h"
#include "error.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ith_config c;
	struct ith_strbuf E = ITH_STRBUF_INIT;  /* the loader's messages: dropped */
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ith_config_load_string(&c, "fuzz.conf", text, &E) == 0) {
		const struct ith_profile *p;
		(void)ith_config_profile(&c, NULL, &p, &E);
		ith_config_release(&c);
	}
	ith_strbuf_release(&E);
	free(text);
	return 0;
}
