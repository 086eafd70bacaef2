/*
 * names.h - what a name the helper is given may be: a profile name (it
 * becomes part of file names and of the ownership marker), its expanded
 * form NAME@HOST (a profile with hosts_file, one per host), a host name, and
 * a database name (a permission's resource). Pure: no I/O, no allocation.
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
/* An RFC 1123 host name: labels of [A-Za-z0-9] and inner '-', 1-63 bytes, dots
 * between, at most ITH_HOST_MAX (253) bytes; kept as written (no case folding). */
bool ith_valid_host_name(const char *s);
/* NAME@HOST: a valid profile name, '@', a valid host name (at most ITH_PROFILE_MAX). */
bool ith_valid_expanded_name(const char *s);
/* Either form: what a marker, a state file name or the command line may name. */
bool ith_valid_profile_ref(const char *s);
/* The placeholder a sink of an expanded profile must use (hosts.h substitutes it). */
#define ITH_HOST_PLACEHOLDER "{{host}}"

/* "*" (every database), or 1-64 bytes of valid UTF-8 without control characters (C0, C1). */
bool ith_valid_db_name(const char *s);

#endif
