//! aarch64's part of the dispatch decision: `dc cvap` where the kernel reports DCPOP, else
//! `dc cvac` (as PMDK 1.13.1 does), drained by `dsb sy`; the portable kernels.

use super::cpu::CpuFeatures;
use super::flush::{Fence, WriteBack};
use crate::config::Config;

/// The write-back instruction, stepping by the CPU's smallest line, and the drain's fence.
/// (The x86 knobs `PMEM_NO_CLWB`, `PMEM_NO_CLFLUSHOPT` mean nothing here, as in PMDK.)
pub fn choose_flush(cpu: &CpuFeatures, _: &Config) -> (WriteBack, Fence) {
    let line = cpu.dcache_line;
    if cpu.dcpop {
        (WriteBack::Cvap { line }, Fence::Dsb)
    } else {
        (WriteBack::Cvac { line }, Fence::Dsb)
    }
}

#[cfg(test)]
pub use crate::arch::portable::test_kernels;
pub use crate::arch::portable::{choose_kernels, PMEMCHECK_KERNELS};

/// The write-back instructions this CPU has, for the kernel tests; the second is the one
/// every CPU of the architecture has.
#[cfg(test)]
pub fn test_write_backs() -> Vec<WriteBack> {
    let cpu = CpuFeatures::detect();
    let line = cpu.dcache_line;
    let mut f = vec![
        WriteBack::None,
        WriteBack::Cvac { line },
        WriteBack::Reported,
    ];
    if cpu.dcpop {
        f.push(WriteBack::Cvap { line });
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::decide;

    #[test]
    fn cvap_where_the_kernel_reports_dcpop() {
        let cfg = Config::default();
        let cpu = |dcpop| CpuFeatures {
            dcpop,
            dcache_line: 64,
        };
        let d = decide(&cpu(true), &cfg, false);
        assert_eq!(
            (d.write_back, d.drain),
            (WriteBack::Cvap { line: 64 }, Fence::Dsb)
        );
        let d = decide(&cpu(false), &cfg, false);
        assert_eq!(d.write_back, WriteBack::Cvac { line: 64 });
        // eADR: nothing written back but by pmem_deep_flush; the drain stays.
        let d = decide(&cpu(true), &cfg, true);
        assert_eq!(
            (d.write_back, d.deep_write_back, d.drain),
            (WriteBack::None, WriteBack::Cvap { line: 64 }, Fence::Dsb)
        );
        assert_eq!(
            &*d.description(),
            "cpu class: other, flush: none (deep: dc cvap), drain: dsb sy, copy: generic nt, \
             threshold 256, nt edges cached, prefetch none"
        );
    }
}
