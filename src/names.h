/*
 * names.h - what a name the helper is given may be: a profile name (it
 * becomes part of file names and of the ownership marker) and a database
 * name (a permission's resource). Pure: no I/O, no allocation.
 *
 * Tier 3 (pure model): includes only tier 0-2 headers. config.c checks
 * names at load with these; token.c checks the names it reads back from
 * the API (a marker's profile, a permission's resource) with the same ones.
 *
 * Calling sequence:
 *     if (!ith_valid_profile_name(s)) ... refuse ...
 *
 * Error handling: none; each answers true or false and the caller words
 * the message.
 */
#ifndef ITH_NAMES_H
#define ITH_NAMES_H

#include <stdbool.h>

/* [A-Za-z][A-Za-z0-9_]{0,63} (ITH_NAME_MAX), ASCII only. */
bool ith_valid_profile_name(const char *s);
/* "*" (every database), or 1-64 bytes of valid UTF-8 without control characters (C0, C1). */
bool ith_valid_db_name(const char *s);

#endif
