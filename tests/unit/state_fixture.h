/* A filled-in state for the state and state-model suites (test_state_model.c). */
#ifndef ITH_TEST_STATE_FIXTURE_H
#define ITH_TEST_STATE_FIXTURE_H
#include "state-model.h"

#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define TOKEN "apiv1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* One current token, one retired, a pending create, counters, a last error. */
void state_fixture_fill(struct ith_state *st);
/* CUnit assertions that st is what state_fixture_fill made. */
void state_fixture_check(const struct ith_state *st);
#endif
