//! What the running CPU offers, read once.

use std::arch::x86_64::__cpuid_count;

/// The features the dispatch decision looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuFeatures {
    pub clflush: bool,
    pub clflushopt: bool,
    pub clwb: bool,
    pub sse2: bool,
    pub avx: bool,
    pub avx2: bool,
    pub avx512f: bool,
    pub movdir64b: bool,
    /// AMD (or Hygon) Zen: write-back of a line just written costs more than streaming it.
    pub amd: bool,
}

impl CpuFeatures {
    pub fn detect() -> CpuFeatures {
        // CPUID leaf 7 subleaf 0: EBX bit 23 CLFLUSHOPT, bit 24 CLWB; ECX bit 28 MOVDIR64B.
        // `is_x86_feature_detected!` knows neither clwb nor clflushopt.
        let leaf0 = __cpuid_count(0, 0);
        let max_leaf = leaf0.eax;
        // The vendor string is EBX, EDX, ECX of leaf 0.
        let vendor: Vec<u8> = [leaf0.ebx, leaf0.edx, leaf0.ecx]
            .iter()
            .flat_map(|r| r.to_le_bytes())
            .collect();
        let (ebx7, ecx7) = if max_leaf >= 7 {
            let r = __cpuid_count(7, 0);
            (r.ebx, r.ecx)
        } else {
            (0, 0)
        };
        // Leaf 1 EDX bit 19: CLFLUSH.
        let edx1 = __cpuid_count(1, 0).edx;
        CpuFeatures {
            clflush: edx1 & (1 << 19) != 0,
            clflushopt: ebx7 & (1 << 23) != 0,
            clwb: ebx7 & (1 << 24) != 0,
            sse2: is_x86_feature_detected!("sse2"),
            avx: is_x86_feature_detected!("avx"),
            avx2: is_x86_feature_detected!("avx2"),
            avx512f: is_x86_feature_detected!("avx512f"),
            movdir64b: ecx7 & (1 << 28) != 0,
            amd: vendor == b"AuthenticAMD" || vendor == b"HygonGenuine",
        }
    }
}
