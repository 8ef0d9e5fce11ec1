/*
 * airlock_test.h: a small test harness for C and C++ tests run by Airlock. Include it, write
 * tests with AIRLOCK_TEST, and check with EXPECT / EXPECT_EQ / EXPECT_STREQ. The harness supplies
 * main() and reports TAP on stdout, which Airlock turns into one result per test.
 *
 *   #include <airlock_test.h>
 *   AIRLOCK_TEST(adds_numbers) { EXPECT_EQ(add(2, 2), 4); }
 */
#ifndef AIRLOCK_TEST_H
#define AIRLOCK_TEST_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#define AIRLOCK_MAX_TESTS 1024

struct airlock_test_case {
  const char *name;
  void (*run)(void);
};

/* Weak, so every translation unit that includes the header shares one registry and one main. */
__attribute__((weak)) struct airlock_test_case airlock_tests[AIRLOCK_MAX_TESTS];
__attribute__((weak)) int airlock_test_count;
__attribute__((weak)) int airlock_current_failed;
__attribute__((weak)) char airlock_failure[512];

static inline void airlock_register(const char *name, void (*run)(void)) {
  if (airlock_test_count < AIRLOCK_MAX_TESTS) {
    airlock_tests[airlock_test_count].name = name;
    airlock_tests[airlock_test_count].run = run;
    airlock_test_count++;
  }
}

static inline void airlock_fail(const char *file, int line, const char *what) {
  if (!airlock_current_failed) snprintf(airlock_failure, sizeof airlock_failure, "%s:%d: %s", file, line, what);
  airlock_current_failed = 1;
}

#define AIRLOCK_TEST(name)                                                             \
  static void name(void);                                                              \
  __attribute__((constructor)) static void airlock_register_##name(void) {             \
    airlock_register(#name, name);                                                     \
  }                                                                                    \
  static void name(void)

#define EXPECT(cond)                                                                   \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      airlock_fail(__FILE__, __LINE__, "expected " #cond);                             \
      return;                                                                          \
    }                                                                                  \
  } while (0)

#define EXPECT_EQ(actual, expected)                                                    \
  do {                                                                                 \
    long long airlock_a = (long long)(actual), airlock_e = (long long)(expected);      \
    if (airlock_a != airlock_e) {                                                      \
      char airlock_msg[256];                                                           \
      snprintf(airlock_msg, sizeof airlock_msg, "%s == %s: got %lld, expected %lld",   \
               #actual, #expected, airlock_a, airlock_e);                              \
      airlock_fail(__FILE__, __LINE__, airlock_msg);                                   \
      return;                                                                          \
    }                                                                                  \
  } while (0)

#define EXPECT_STREQ(actual, expected)                                                 \
  do {                                                                                 \
    const char *airlock_a = (actual), *airlock_e = (expected);                         \
    if (strcmp(airlock_a, airlock_e) != 0) {                                           \
      char airlock_msg[256];                                                           \
      snprintf(airlock_msg, sizeof airlock_msg, "%s: got \"%s\", expected \"%s\"",     \
               #actual, airlock_a, airlock_e);                                         \
      airlock_fail(__FILE__, __LINE__, airlock_msg);                                   \
      return;                                                                          \
    }                                                                                  \
  } while (0)

__attribute__((weak)) int main(void) {
  int failed = 0;
  printf("TAP version 13\n1..%d\n", airlock_test_count);
  for (int i = 0; i < airlock_test_count; i++) {
    struct timespec start, end;
    airlock_current_failed = 0;
    airlock_failure[0] = '\0';
    timespec_get(&start, TIME_UTC); /* C11, so the header works under strict -std=c17 */
    airlock_tests[i].run();
    timespec_get(&end, TIME_UTC);
    double ms = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
    if (airlock_current_failed) {
      failed++;
      printf("not ok %d - %s\n  ---\n  message: '%s'\n  duration_ms: %.3f\n  ...\n", i + 1, airlock_tests[i].name,
             airlock_failure, ms);
    } else {
      printf("ok %d - %s\n  ---\n  duration_ms: %.3f\n  ...\n", i + 1, airlock_tests[i].name, ms);
    }
    fflush(stdout);
  }
  return failed ? 1 : 0;
}

#endif
