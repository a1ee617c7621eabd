//! What the running CPU offers, read once.

use std::arch::x86_64::__cpuid_count;
use std::fmt;

/// Who designed the CPU: the strategy table (`strategy::CpuClass`) is keyed by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Vendor {
    Intel,
    /// AMD, or Hygon (whose cores are AMD Zen).
    Amd,
    #[default]
    Other,
}

impl Vendor {
    /// From the 12-byte vendor string of CPUID leaf 0.
    pub fn from_cpuid(id: &[u8]) -> Vendor {
        match id {
            b"GenuineIntel" => Vendor::Intel,
            b"AuthenticAMD" | b"HygonGenuine" => Vendor::Amd,
            _ => Vendor::Other,
        }
    }
}

/// The features the dispatch decision looks at (CLFLUSH and SSE2 are in every x86-64 CPU).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuFeatures {
    pub clflushopt: bool,
    pub clwb: bool,
    pub avx2: bool,
    pub avx512f: bool,
    pub vendor: Vendor,
    /// Display family and model (CPUID leaf 1, extended fields folded in as the SDM says).
    pub family: u32,
    pub model: u32,
}

impl CpuFeatures {
    pub fn detect() -> CpuFeatures {
        // CPUID leaf 7 subleaf 0: EBX bit 23 CLFLUSHOPT, bit 24 CLWB.
        // `is_x86_feature_detected!` knows neither clwb nor clflushopt.
        let leaf0 = __cpuid_count(0, 0);
        let max_leaf = leaf0.eax;
        // The vendor string is EBX, EDX, ECX of leaf 0.
        let vendor: Vec<u8> = [leaf0.ebx, leaf0.edx, leaf0.ecx]
            .iter()
            .flat_map(|r| r.to_le_bytes())
            .collect();
        let ebx7 = if max_leaf >= 7 {
            __cpuid_count(7, 0).ebx
        } else {
            0
        };
        let (family, model) = family_model(__cpuid_count(1, 0).eax);
        CpuFeatures {
            clflushopt: ebx7 & (1 << 23) != 0,
            clwb: ebx7 & (1 << 24) != 0,
            avx2: is_x86_feature_detected!("avx2"),
            avx512f: is_x86_feature_detected!("avx512f"),
            vendor: Vendor::from_cpuid(&vendor),
            family,
            model,
        }
    }
}

/// For the log: vendor, family and model in hex (as the manuals name CPUs), the features had.
impl fmt::Display for CpuFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (family, model) = (self.family, self.model);
        write!(
            f,
            "{:?} family {family:#x} model {model:#04x}, has",
            self.vendor
        )?;
        let features = [
            (self.clwb, "clwb"),
            (self.clflushopt, "clflushopt"),
            (self.avx2, "avx2"),
            (self.avx512f, "avx512f"),
        ];
        for (_, name) in features.iter().filter(|(has, _)| *has) {
            write!(f, " {name}")?;
        }
        Ok(())
    }
}

/// Display family and model from CPUID leaf 1 EAX: the extended family is added when the base
/// family is 0xF, and the extended model prepended when it is 0x6 or 0xF.
pub fn family_model(eax: u32) -> (u32, u32) {
    let base_family = (eax >> 8) & 0xf;
    let base_model = (eax >> 4) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((eax >> 20) & 0xff)
    } else {
        base_family
    };
    let model = if base_family == 0x6 || base_family == 0xf {
        base_model | ((eax >> 12) & 0xf0)
    } else {
        base_model
    };
    (family, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_by_their_cpuid_strings() {
        assert_eq!(Vendor::from_cpuid(b"GenuineIntel"), Vendor::Intel);
        assert_eq!(Vendor::from_cpuid(b"AuthenticAMD"), Vendor::Amd);
        assert_eq!(Vendor::from_cpuid(b"HygonGenuine"), Vendor::Amd);
        assert_eq!(Vendor::from_cpuid(b"CentaurHauls"), Vendor::Other);
        assert_eq!(Vendor::from_cpuid(b""), Vendor::Other);
    }

    #[test]
    fn log_form_names_the_cpu_and_its_features() {
        let zen3 = CpuFeatures {
            clwb: true,
            clflushopt: true,
            avx2: true,
            vendor: Vendor::Amd,
            family: 0x19,
            model: 0x01,
            ..Default::default()
        };
        assert_eq!(
            zen3.to_string(),
            "Amd family 0x19 model 0x01, has clwb clflushopt avx2"
        );
    }

    #[test]
    fn family_and_model_fold_the_extended_fields() {
        // Ice Lake server (family 6 model 0x6a), EPYC Milan (0x19/0x01), Zen 4 (0x19/0x11).
        assert_eq!(family_model(0x0006_06a6), (6, 0x6a));
        assert_eq!(family_model(0x00a0_0f11), (0x19, 0x01));
        assert_eq!(family_model(0x00a1_0f11), (0x19, 0x11));
        // A base family below 0xF ignores the extended family bits.
        assert_eq!(family_model(0x0ff0_0561), (5, 6));
    }
}
