//! riscv64's part of the dispatch decision: `cbo.clean` stepping by the Zicbom block size
//! where the kernel reports Zicbom, else nothing written back (as PMDK 1.13.1 always does
//! here), ordered by `fence ow,ow`; the portable kernels.

use super::cpu::CpuFeatures;
use super::flush::{Fence, WriteBack};
use crate::config::Config;

/// The write-back instruction, stepping by the Zicbom block size, and the drain's fence.
/// (The x86 knobs `PMEM_NO_CLWB`, `PMEM_NO_CLFLUSHOPT` mean nothing here, as in PMDK; PMDK
/// has no knob for riscv64 either: `PMEM_NO_FLUSH=1` turns the write-back off.)
pub fn choose_flush(cpu: &CpuFeatures, _: &Config) -> (WriteBack, Fence) {
    match cpu.zicbom_block {
        Some(block) => (WriteBack::CboClean { block }, Fence::OwOw),
        None => (WriteBack::None, Fence::OwOw),
    }
}

#[cfg(test)]
pub use crate::arch::portable::test_kernels;
pub use crate::arch::portable::{choose_kernels, PMEMCHECK_KERNELS};

/// The write-backs this CPU can run, for the kernel tests; the second is one every CPU of
/// the architecture has (no instruction: a client request Valgrind alone hears).
#[cfg(test)]
pub fn test_write_backs() -> Vec<WriteBack> {
    let mut f = vec![WriteBack::None, WriteBack::Reported];
    if let Some(block) = CpuFeatures::detect().zicbom_block {
        f.push(WriteBack::CboClean { block });
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::decide;

    #[test]
    fn cbo_clean_where_the_kernel_reports_zicbom() {
        let cfg = Config::default();
        let cpu = |zicbom_block| CpuFeatures { zicbom_block };
        let d = decide(&cpu(Some(64)), &cfg, false);
        assert_eq!(
            (d.write_back, d.deep_write_back, d.drain),
            (
                WriteBack::CboClean { block: 64 },
                WriteBack::CboClean { block: 64 },
                Fence::OwOw
            )
        );
        assert!(!d.flush_is_noop());
        assert_eq!(
            &*d.description(),
            "cpu class: other, flush: cbo.clean (deep: cbo.clean), drain: fence ow,ow, \
             copy: generic nt, threshold 256, nt edges cached, prefetch none"
        );
        // eADR: nothing written back but by pmem_deep_flush; the drain stays.
        let d = decide(&cpu(Some(128)), &cfg, true);
        assert_eq!(
            (d.write_back, d.deep_write_back, d.drain),
            (
                WriteBack::None,
                WriteBack::CboClean { block: 128 },
                Fence::OwOw
            )
        );
    }

    #[test]
    fn nothing_written_back_without_zicbom() {
        // PMDK's riscv64: no flush at all, pmem_deep_flush included; only the fence.
        let d = decide(&CpuFeatures::default(), &Config::default(), false);
        assert_eq!(
            (d.write_back, d.deep_write_back, d.drain),
            (WriteBack::None, WriteBack::None, Fence::OwOw)
        );
        assert!(d.flush_is_noop());
        assert_eq!(
            &*d.description(),
            "cpu class: other, flush: none (deep: none), drain: fence ow,ow, \
             copy: generic nt, threshold 256, nt edges cached, prefetch none"
        );
        // PMEM_NO_FLUSH=0 cannot make an instruction appear.
        let cfg = Config {
            no_flush: Some(false),
            ..Default::default()
        };
        assert_eq!(
            decide(&CpuFeatures::default(), &cfg, true).write_back,
            WriteBack::None
        );
    }

    #[test]
    fn no_flush_turns_cbo_clean_off() {
        let cfg = Config {
            no_flush: Some(true),
            ..Default::default()
        };
        let d = decide(
            &CpuFeatures {
                zicbom_block: Some(64),
            },
            &cfg,
            false,
        );
        assert_eq!(
            (d.write_back, d.deep_write_back),
            (WriteBack::None, WriteBack::CboClean { block: 64 })
        );
    }
}
