//! ppc64le's part of the dispatch decision: `dcbstps` stepping by the cache block, drained by
//! `phwsync`, on every CPU (as PMDK 1.13.1 does, see `flush`); the portable kernels.

use super::cpu::CpuFeatures;
use super::flush::{Fence, WriteBack};
use crate::config::Config;

/// The write-back instruction, stepping by the CPU's cache block, and the drain's fence.
/// (The x86 knobs `PMEM_NO_CLWB`, `PMEM_NO_CLFLUSHOPT` mean nothing here, as in PMDK.)
pub fn choose_flush(cpu: &CpuFeatures, _: &Config) -> (WriteBack, Fence) {
    (
        WriteBack::Dcbstps {
            line: cpu.dcache_line,
        },
        Fence::Phwsync,
    )
}

#[cfg(test)]
pub use crate::arch::portable::test_kernels;
pub use crate::arch::portable::{choose_kernels, PMEMCHECK_KERNELS};

/// The write-back instructions this CPU has, for the kernel tests; the second is the one
/// every CPU of the architecture has.
#[cfg(test)]
pub fn test_write_backs() -> Vec<WriteBack> {
    let line = CpuFeatures::detect().dcache_line;
    vec![
        WriteBack::None,
        WriteBack::Dcbstps { line },
        WriteBack::Reported,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::decide;

    #[test]
    fn dcbstps_and_phwsync_whatever_the_isa() {
        let cfg = Config::default();
        for isa_3_1 in [false, true] {
            let cpu = CpuFeatures {
                isa_3_1,
                dcache_line: 128,
            };
            let d = decide(&cpu, &cfg, false);
            assert_eq!(
                (d.write_back, d.deep_write_back, d.drain),
                (
                    WriteBack::Dcbstps { line: 128 },
                    WriteBack::Dcbstps { line: 128 },
                    Fence::Phwsync
                )
            );
        }
        // The x86 knobs change nothing.
        let x86 = Config {
            no_clwb: true,
            no_clflushopt: true,
            ..Config::default()
        };
        let d = decide(&CpuFeatures::default(), &x86, false);
        assert_eq!(d.write_back, WriteBack::Dcbstps { line: 128 });
        // eADR: nothing written back but by pmem_deep_flush; the drain stays.
        let d = decide(&CpuFeatures::default(), &cfg, true);
        assert_eq!(
            (d.write_back, d.deep_write_back, d.drain),
            (
                WriteBack::None,
                WriteBack::Dcbstps { line: 128 },
                Fence::Phwsync
            )
        );
        assert_eq!(
            &*d.description(),
            "cpu class: other, flush: none (deep: dcbstps), drain: phwsync, copy: generic nt, \
             threshold 256, nt edges cached, prefetch none"
        );
        let d = decide(&CpuFeatures::default(), &cfg, false);
        assert_eq!(
            &*d.description(),
            "cpu class: other, flush: dcbstps (deep: dcbstps), drain: phwsync, copy: generic nt, \
             threshold 256, nt edges cached, prefetch none"
        );
    }
}
