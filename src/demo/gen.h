/*
 * gen.h: deterministic generators for the demo town: a seeded random
 * sequence, plausible Chinese names, valid resident ID numbers and mobile
 * numbers. The same seed always gives the same town.
 */
#ifndef ZL_DEMO_GEN_H
#define ZL_DEMO_GEN_H

#include "platform/util.h"

struct rng {
	uint64_t s;
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n). */
uint32_t rng_below(struct rng *r, uint32_t n);
/* True with probability per_mille / 1000. */
int rng_chance(struct rng *r, unsigned per_mille);

/* An index in [0, n) with probability weights[i] / sum: weights is the
 * first weight, stride the bytes from one to the next (a field of an array
 * of structs: &a[0].weight, sizeof(a[0])). */
size_t rng_weighted(struct rng *r, const unsigned *weights, size_t n, size_t stride);

/* A full name: surname by its frequency in Guangdong, then one or two
 * given-name characters suited to sex ('M' or 'F'). out >= 16 bytes. */
void gen_name(struct rng *r, char sex, char *out, size_t n);
/* A given name for someone with this surname (for children). */
void gen_name_with_surname(struct rng *r, const char *surname, char sex, char *out, size_t n);
/* The surname part of a generated full name (first character). */
void gen_surname_of(const char *name, char *out, size_t n);

/* An 18-character ID number for an area code (6 digits), birth date and
 * sex, with a correct GB 11643 check character. out >= 19 bytes. */
void gen_id_number(struct rng *r, const char *area6, int y, int m, int d, char sex, char *out);
/* An 11-digit mainland mobile number. out >= 12 bytes. */
void gen_mobile(struct rng *r, char *out);

#endif
