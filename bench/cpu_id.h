/*
 * cpu_id.h -- which CPU the bench runs on: vendor, family, model, and a tag for file names
 * (amd-zen3, amd-zen4, intel-icelake-server, ...), so that figures from different machines
 * are never mixed.  The tag only names the microarchitecture; the CPU class whose targets
 * apply is the library's own answer (run.sh probes it and passes --class), so the class
 * rule lives in one place.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

struct cpu_id {
	char vendor[13];    /* CPUID leaf 0 vendor string */
	unsigned family;    /* display family and model */
	unsigned model;
	char tag[48];       /* vendor-microarchitecture, for file names */
};

/* names of Intel family 6 server models: Skylake/Cascade/Cooper Lake-SP, Ice Lake SP/D,
 * Sapphire, Emerald and Granite Rapids */
static const struct {
	unsigned model;
	const char *name;
} Intel_servers[] = {
	{ 0x55, "skylake-server" }, { 0x6a, "icelake-server" }, { 0x6c, "icelake-server" },
	{ 0x8f, "sapphirerapids" }, { 0xcf, "emeraldrapids" }, { 0xad, "graniterapids" },
	{ 0xae, "graniterapids" },
};

/* Zen generation by family/model, as AMD numbers them; 0 when unknown.  Both functions
 * are inline: every file of pmembench includes this header, one of them calls them. */
static inline int zen_generation(unsigned family, unsigned model)
{
	if (family == 0x17)
		return model >= 0x30 ? 2 : 1;
	if (family == 0x19)
		return (model >= 0x10 && model < 0x20) || (model >= 0x60 && model < 0xb0) ? 4 : 3;
	if (family == 0x1a)
		return 5;
	return 0;
}

static inline void cpu_identify(struct cpu_id *id)
{
	unsigned a = 0, b = 0, c = 0, d = 0;
	memset(id, 0, sizeof(*id));
	__get_cpuid(0, &a, &b, &c, &d);
	memcpy(id->vendor, &b, 4);
	memcpy(id->vendor + 4, &d, 4);
	memcpy(id->vendor + 8, &c, 4);
	__get_cpuid(1, &a, &b, &c, &d);
	unsigned fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
	id->family = fam == 0xf ? fam + ((a >> 20) & 0xff) : fam;
	id->model = fam == 0x6 || fam == 0xf ? mod | ((a >> 12) & 0xf0) : mod;

	int amd = !strcmp(id->vendor, "AuthenticAMD") || !strcmp(id->vendor, "HygonGenuine");
	int intel = !strcmp(id->vendor, "GenuineIntel");
	snprintf(id->tag, sizeof(id->tag), "%s-family%x-model%x",
		 amd ? "amd" : intel ? "intel" : "other", id->family, id->model);
	int gen = amd ? zen_generation(id->family, id->model) : 0;
	if (gen)
		snprintf(id->tag, sizeof(id->tag), "amd-zen%d", gen);
	for (size_t i = 0; intel && id->family == 6 &&
			   i < sizeof(Intel_servers) / sizeof(Intel_servers[0]); i++)
		if (Intel_servers[i].model == id->model)
			snprintf(id->tag, sizeof(id->tag), "intel-%s", Intel_servers[i].name);
}
