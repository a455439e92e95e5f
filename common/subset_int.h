/*
 * subset_int: helpers shared by subset_sql.c and subset_text.c (not part
 * of the subset.h contract).
 */
#ifndef ELECTRICD_SUBSET_INT_H
#define ELECTRICD_SUBSET_INT_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
size_t subset_utf8_seq(const unsigned char *s, size_t n);
/* Cuts s before a trailing incomplete or invalid UTF-8 sequence. */
void subset_utf8_trim(char *s);
/* Characters (UTF-8 code points) in the first n bytes of s. */
size_t subset_char_pos(const char *s, size_t n);
/* A rough upper bound of the parse-tree depth of SQL text s: operator
 * characters and words outside quotes (AND / OR chains are flat). */
size_t subset_text_weight(const char *s, size_t len);

#endif
