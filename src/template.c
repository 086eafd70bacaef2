#include "template.h"
#include "error.h"
#include "fs.h"
#include "time.h"

#include <stdlib.h>

void ith_template_render(const struct ith_template *t, const struct ith_profile *p, const struct ith_state_token *tok,
	struct ith_strbuf *out)
{
	char when[32];

	out->secret = true;
	ith_format_rfc3339(tok->expires_at, when, sizeof(when));
	for (size_t i = 0; i < t->n; i++) {
		const struct ith_template_piece *pc = &t->v[i];
		switch (pc->kind) {
		case ITH_PIECE_TEXT: ith_strbuf_add(out, t->text + pc->off, pc->len); break;
		case ITH_PIECE_TOKEN: ith_strbuf_add(out, tok->token.s, tok->token.len); break;
		case ITH_PIECE_ID: ith_strbuf_addstr(out, tok->id); break;
		case ITH_PIECE_EXPIRES_AT: ith_strbuf_addstr(out, when); break;
		case ITH_PIECE_PROFILE: ith_strbuf_addstr(out, p->name); break;
		}
	}
	if (!out->buf)
		ith_strbuf_addstr(out, "");
}
