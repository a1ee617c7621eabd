/*
 * header_conformance.c -- compile-time conformance of libpmem.h with PMDK's.
 *
 * Checks every macro's value and type and assigns every function to a pointer of
 * PMDK's exact prototype.  Builds as C11 (_Static_assert/_Generic) and as C++11
 * (static_assert/decltype), with -Wall -Wextra -Wpedantic -Werror.
 * Define PMEMTEST_NO_LOG_API to check only the PMDK 1.12 part (then it also
 * compiles against Debian's /usr/include/libpmem.h).
 * When linked and run it prints "header_conformance: ok" (exit 0).
 */
#include <libpmem.h>

#include <stddef.h>
#include <stdio.h>

#ifndef LIBPMEM_H
#error "include guard LIBPMEM_H is not defined"
#endif

/* usable in #if like PMDK's */
#if PMEM_MAJOR_VERSION != 1 || PMEM_MINOR_VERSION != 1
#error "PMEM_MAJOR_VERSION/PMEM_MINOR_VERSION must be 1.1"
#endif
#if PMEM_FILE_CREATE != 1 || PMEM_FILE_EXCL != 2 || PMEM_FILE_SPARSE != 4 || PMEM_FILE_TMPFILE != 8
#error "PMEM_FILE_* values"
#endif
#if PMEM_F_MEM_NODRAIN != 1 || PMEM_F_MEM_NONTEMPORAL != 2 || PMEM_F_MEM_TEMPORAL != 4 || \
	PMEM_F_MEM_WC != 8 || PMEM_F_MEM_WB != 16 || PMEM_F_MEM_NOFLUSH != 32 || PMEM_F_MEM_VALID_FLAGS != 0x3f
#error "PMEM_F_MEM_* values"
#endif

#ifdef __cplusplus
#include <type_traits>
#define SAME_TYPE(expr, T) (std::is_same<decltype(expr), T>::value)
#define STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define SAME_TYPE_int(expr) _Generic((expr), int: 1, default: 0)
#define SAME_TYPE_unsigned(expr) _Generic((expr), unsigned int: 1, default: 0)
#define SAME_TYPE_size_t(expr) _Generic((expr), size_t: 1, default: 0)
#define SAME_TYPE(expr, T) SAME_TYPE_##T(expr)
#define STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

STATIC_ASSERT(PMEM_MIN_PART == 2 * 1024 * 1024, "PMEM_MIN_PART value");
STATIC_ASSERT(SAME_TYPE(PMEM_MIN_PART, size_t), "PMEM_MIN_PART type (size_t)");

STATIC_ASSERT(PMEM_FILE_CREATE == (1 << 0), "PMEM_FILE_CREATE value");
STATIC_ASSERT(PMEM_FILE_EXCL == (1 << 1), "PMEM_FILE_EXCL value");
STATIC_ASSERT(PMEM_FILE_SPARSE == (1 << 2), "PMEM_FILE_SPARSE value");
STATIC_ASSERT(PMEM_FILE_TMPFILE == (1 << 3), "PMEM_FILE_TMPFILE value");
STATIC_ASSERT(SAME_TYPE(PMEM_FILE_CREATE, int), "PMEM_FILE_CREATE type (int)");
STATIC_ASSERT(SAME_TYPE(PMEM_FILE_EXCL, int), "PMEM_FILE_EXCL type (int)");
STATIC_ASSERT(SAME_TYPE(PMEM_FILE_SPARSE, int), "PMEM_FILE_SPARSE type (int)");
STATIC_ASSERT(SAME_TYPE(PMEM_FILE_TMPFILE, int), "PMEM_FILE_TMPFILE type (int)");

STATIC_ASSERT(PMEM_F_MEM_NODRAIN == (1U << 0), "PMEM_F_MEM_NODRAIN value");
STATIC_ASSERT(PMEM_F_MEM_NONTEMPORAL == (1U << 1), "PMEM_F_MEM_NONTEMPORAL value");
STATIC_ASSERT(PMEM_F_MEM_TEMPORAL == (1U << 2), "PMEM_F_MEM_TEMPORAL value");
STATIC_ASSERT(PMEM_F_MEM_WC == (1U << 3), "PMEM_F_MEM_WC value");
STATIC_ASSERT(PMEM_F_MEM_WB == (1U << 4), "PMEM_F_MEM_WB value");
STATIC_ASSERT(PMEM_F_MEM_NOFLUSH == (1U << 5), "PMEM_F_MEM_NOFLUSH value");
STATIC_ASSERT(PMEM_F_MEM_VALID_FLAGS == 0x3fU, "PMEM_F_MEM_VALID_FLAGS value");
STATIC_ASSERT(SAME_TYPE(PMEM_F_MEM_NODRAIN, unsigned), "F_MEM type (unsigned): NODRAIN");
STATIC_ASSERT(SAME_TYPE(PMEM_F_MEM_NONTEMPORAL, unsigned), "F_MEM type (unsigned): NONTEMPORAL");
STATIC_ASSERT(SAME_TYPE(PMEM_F_MEM_TEMPORAL, unsigned), "F_MEM type (unsigned): TEMPORAL");
STATIC_ASSERT(SAME_TYPE(PMEM_F_MEM_WC, unsigned), "F_MEM type (unsigned): WC");
STATIC_ASSERT(SAME_TYPE(PMEM_F_MEM_WB, unsigned), "F_MEM type (unsigned): WB");
STATIC_ASSERT(SAME_TYPE(PMEM_F_MEM_NOFLUSH, unsigned), "F_MEM type (unsigned): NOFLUSH");
STATIC_ASSERT(SAME_TYPE(PMEM_F_MEM_VALID_FLAGS, unsigned), "F_MEM type (unsigned): VALID_FLAGS");

STATIC_ASSERT(PMEM_MAJOR_VERSION == 1, "PMEM_MAJOR_VERSION value");
STATIC_ASSERT(PMEM_MINOR_VERSION == 1, "PMEM_MINOR_VERSION value");
STATIC_ASSERT(SAME_TYPE(PMEM_MAJOR_VERSION, int), "PMEM_MAJOR_VERSION type (int, as PMDK's plain 1)");
STATIC_ASSERT(SAME_TYPE(PMEM_MINOR_VERSION, int), "PMEM_MINOR_VERSION type (int, as PMDK's plain 1)");

/* every function, assigned to a pointer of PMDK's exact prototype */
struct api {
	void *(*map_file)(const char *path, size_t len, int flags, mode_t mode, size_t *mapped_lenp, int *is_pmemp);
	int (*unmap)(void *addr, size_t len);
	int (*is_pmem)(const void *addr, size_t len);
	void (*persist)(const void *addr, size_t len);
	int (*msync)(const void *addr, size_t len);
	int (*has_auto_flush)(void);
	void (*flush)(const void *addr, size_t len);
	void (*deep_flush)(const void *addr, size_t len);
	int (*deep_drain)(const void *addr, size_t len);
	int (*deep_persist)(const void *addr, size_t len);
	void (*drain)(void);
	int (*has_hw_drain)(void);
	void *(*memmove_persist)(void *pmemdest, const void *src, size_t len);
	void *(*memcpy_persist)(void *pmemdest, const void *src, size_t len);
	void *(*memset_persist)(void *pmemdest, int c, size_t len);
	void *(*memmove_nodrain)(void *pmemdest, const void *src, size_t len);
	void *(*memcpy_nodrain)(void *pmemdest, const void *src, size_t len);
	void *(*memset_nodrain)(void *pmemdest, int c, size_t len);
	void *(*memmove)(void *pmemdest, const void *src, size_t len, unsigned flags);
	void *(*memcpy)(void *pmemdest, const void *src, size_t len, unsigned flags);
	void *(*memset)(void *pmemdest, int c, size_t len, unsigned flags);
	const char *(*check_version)(unsigned major_required, unsigned minor_required);
	const char *(*errormsg)(void);
#ifndef PMEMTEST_NO_LOG_API
	int (*log_set_threshold)(enum pmem_log_threshold threshold, enum pmem_log_level value);
	int (*log_get_threshold)(enum pmem_log_threshold threshold, enum pmem_log_level *value);
	int (*log_set_function)(pmem_log_function *log_function);
#endif
};

struct api Api = {
	pmem_map_file, pmem_unmap, pmem_is_pmem, pmem_persist, pmem_msync, pmem_has_auto_flush,
	pmem_flush, pmem_deep_flush, pmem_deep_drain, pmem_deep_persist, pmem_drain,
	pmem_has_hw_drain, pmem_memmove_persist, pmem_memcpy_persist, pmem_memset_persist,
	pmem_memmove_nodrain, pmem_memcpy_nodrain, pmem_memset_nodrain, pmem_memmove,
	pmem_memcpy, pmem_memset, pmem_check_version, pmem_errormsg,
#ifndef PMEMTEST_NO_LOG_API
	pmem_log_set_threshold, pmem_log_get_threshold, pmem_log_set_function,
#endif
};

#ifndef PMEMTEST_NO_LOG_API
/* PMDK 2.x: enums with these tags and values, most severe first */
STATIC_ASSERT(PMEM_LOG_LEVEL_HARK == 0, "PMEM_LOG_LEVEL_HARK");
STATIC_ASSERT(PMEM_LOG_LEVEL_FATAL == 1, "PMEM_LOG_LEVEL_FATAL");
STATIC_ASSERT(PMEM_LOG_LEVEL_ERROR == 2, "PMEM_LOG_LEVEL_ERROR");
STATIC_ASSERT(PMEM_LOG_LEVEL_WARNING == 3, "PMEM_LOG_LEVEL_WARNING");
STATIC_ASSERT(PMEM_LOG_LEVEL_NOTICE == 4, "PMEM_LOG_LEVEL_NOTICE");
STATIC_ASSERT(PMEM_LOG_LEVEL_INFO == 5, "PMEM_LOG_LEVEL_INFO");
STATIC_ASSERT(PMEM_LOG_LEVEL_DEBUG == 6, "PMEM_LOG_LEVEL_DEBUG");
STATIC_ASSERT(PMEM_LOG_THRESHOLD == 0, "PMEM_LOG_THRESHOLD");
STATIC_ASSERT(PMEM_LOG_THRESHOLD_AUX == 1, "PMEM_LOG_THRESHOLD_AUX");
#ifdef __cplusplus
STATIC_ASSERT(SAME_TYPE(PMEM_LOG_LEVEL_ERROR, enum pmem_log_level), "enumerator type");
STATIC_ASSERT(SAME_TYPE(PMEM_LOG_THRESHOLD_AUX, enum pmem_log_threshold), "enumerator type");
#endif
enum pmem_log_level Level = PMEM_LOG_LEVEL_ERROR;
enum pmem_log_threshold Threshold = PMEM_LOG_THRESHOLD_AUX;

/* pmem_log_function is a function type (not a pointer type): users write pmem_log_function * */
static void
my_log(enum pmem_log_level level, const char *file_name, unsigned line_no,
	const char *function_name, const char *message)
{
	(void)level;
	(void)file_name;
	(void)line_no;
	(void)function_name;
	(void)message;
}
pmem_log_function *LogFn = my_log;
void (*LogFnPtr)(enum pmem_log_level, const char *, unsigned, const char *, const char *) = my_log;
pmem_log_function *DefaultFn = PMEM_LOG_USE_DEFAULT_FUNCTION;
#endif

int
main(void)
{
	void *const *p = (void *const *)&Api;
	(void)p;
	size_t n = sizeof(Api) / sizeof(void (*)(void));
#ifndef PMEMTEST_NO_LOG_API
	if (DefaultFn != NULL || LogFnPtr != LogFn || n != 26) {
		printf("header_conformance: FAIL (default function %s NULL, %zu functions)\n",
			DefaultFn == NULL ? "is" : "is not", n);
		return 1;
	}
#else
	if (n != 23)
		return 1;
#endif
	/* a call through the table, so the linker resolves every symbol */
	if (Api.check_version(PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION) != NULL || Api.errormsg() == NULL) {
		printf("header_conformance: FAIL (check_version)\n");
		return 1;
	}
	printf("header_conformance: ok (%zu functions)\n", n);
	return 0;
}
