#include "names.h"
#include "id.h"
#include "text.h"

#include <ctype.h>
#include <string.h>

bool ith_valid_profile_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > ITH_NAME_MAX || !isalpha((unsigned char)s[0]) || !isascii((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isascii((unsigned char)s[i]) && (isalnum((unsigned char)s[i]) || s[i] == '_')))
			return false;
	return true;
}

bool ith_valid_db_name(const char *s)
{
	size_t n = strlen(s);

	if (!strcmp(s, "*"))
		return true;
	if (n < 1 || n > 64)
		return false;
	return ith_text_is_safe(s);  /* no control characters (C0, C1), valid UTF-8 */
}
