// pkgconfig_user.cpp -- a C++ libpmem user, built by abi.sh with pkg-config.
#include <libpmem.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main()
{
	const char *dir = std::getenv("PMEMTEST_DIR");
	std::string d = dir ? dir : "/tmp";
	size_t len = 0;
	int is_pmem = -1;
	void *p = pmem_map_file(d.c_str(), 65536, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, &len, &is_pmem);
	if (p == nullptr) {
		std::printf("cxx: FAIL map: %s\n", pmem_errormsg());
		return 1;
	}
	std::vector<char> v(4096, 'q');
	char *c = static_cast<char *>(pmem_memcpy_persist(p, v.data(), v.size()));
	pmem_memset(c + 4096, 'r', 10, PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN);
	pmem_drain();
	bool ok = c == p && c[4095] == 'q' && c[4100] == 'r' && pmem_unmap(p, len) == 0 &&
		pmem_check_version(PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION) == nullptr;
	std::printf("cxx: %s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}
