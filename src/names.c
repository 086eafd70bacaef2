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

static bool host_label_ok(const char *s, size_t n)
{
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isascii((unsigned char)s[i]) && (isalnum((unsigned char)s[i]) || s[i] == '-')))
			return false;
	return true;
}

bool ith_valid_host_name(const char *s)
{
	size_t n = strlen(s);
	const char *label = s;

	if (n < 1 || n > ITH_HOST_MAX)
		return false;
	for (const char *dot; (dot = strchr(label, '.')) != NULL; label = dot + 1)
		if (!host_label_ok(label, (size_t)(dot - label)))
			return false;
	return host_label_ok(label, strlen(label));
}

bool ith_valid_expanded_name(const char *s)
{
	const char *at = strchr(s, '@');
	char base[ITH_NAME_MAX + 1];
	size_t n;

	if (!at || (n = (size_t)(at - s)) > ITH_NAME_MAX)
		return false;
	memcpy(base, s, n);
	base[n] = '\0';
	return ith_valid_profile_name(base) && ith_valid_host_name(at + 1);
}

bool ith_valid_profile_ref(const char *s)
{
	return ith_valid_profile_name(s) || ith_valid_expanded_name(s);
}
