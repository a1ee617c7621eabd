//! `Flags`: how [`copy`](crate::copy) and [`fill`](crate::fill) store and make durable, the
//! `PMEM_F_MEM_*` bits of pmem_memmove(3).

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub};

/// Flags of a copy or fill, mirroring PMDK's `PMEM_F_MEM_*` (same bits).
///
/// The empty set persists: the bytes are durable when the call returns.
///
/// ```
/// use libpmem::Flags;
/// let f = Flags::NONTEMPORAL | Flags::NODRAIN;
/// assert!(f.contains(Flags::NODRAIN));
/// assert_eq!(f.bits(), 0b11);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Flags(u32);

impl Flags {
    /// Do not drain: the caller calls [`drain`](crate::drain) later. The safe
    /// [`copy`](crate::copy)s and [`fill`](crate::fill) still end with the store fence that
    /// non-temporal stores need before their bytes are accessed again.
    pub const NODRAIN: Flags = Flags(1 << 0);
    /// Non-temporal stores (bypass the cache).
    pub const NONTEMPORAL: Flags = Flags(1 << 1);
    /// Ordinary stores, then a flush of the written lines.
    pub const TEMPORAL: Flags = Flags(1 << 2);
    /// Write-combining: non-temporal stores.
    pub const WC: Flags = Flags(1 << 3);
    /// Write-back: ordinary stores, then a flush.
    pub const WB: Flags = Flags(1 << 4);
    /// Ordinary stores, no flush, no drain: the caller makes the bytes durable.
    pub const NOFLUSH: Flags = Flags(1 << 5);

    const NAMES: [(Flags, &'static str); 6] = [
        (Flags::NODRAIN, "NODRAIN"),
        (Flags::NONTEMPORAL, "NONTEMPORAL"),
        (Flags::TEMPORAL, "TEMPORAL"),
        (Flags::WC, "WC"),
        (Flags::WB, "WB"),
        (Flags::NOFLUSH, "NOFLUSH"),
    ];

    /// No flag: store, flush and drain as the library sees fit.
    pub const fn empty() -> Flags {
        Flags(0)
    }

    /// Every defined flag.
    pub const fn all() -> Flags {
        Flags(0x3f)
    }

    /// The raw `PMEM_F_MEM_*` bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The flags of `bits`, or `None` if it has an undefined bit.
    pub const fn from_bits(bits: u32) -> Option<Flags> {
        if bits & !Flags::all().0 == 0 {
            Some(Flags(bits))
        } else {
            None
        }
    }

    /// The flags of `bits`, undefined bits kept (and ignored by the copies, as PMDK does).
    pub const fn from_bits_retain(bits: u32) -> Flags {
        Flags(bits)
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags of both (`|` in const contexts).
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Whether any flag of `other` is set in `self`.
    pub const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Clears the flags of `other`.
    pub fn remove(&mut self, other: Flags) {
        self.0 &= !other.0;
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Flags {
    type Output = Flags;
    fn bitand(self, rhs: Flags) -> Flags {
        Flags(self.0 & rhs.0)
    }
}

impl BitAndAssign for Flags {
    fn bitand_assign(&mut self, rhs: Flags) {
        self.0 &= rhs.0;
    }
}

/// The flags of `self` that `rhs` does not have.
impl Sub for Flags {
    type Output = Flags;
    fn sub(self, rhs: Flags) -> Flags {
        Flags(self.0 & !rhs.0)
    }
}

/// The defined flags `self` does not have (undefined bits stay clear).
impl Not for Flags {
    type Output = Flags;
    fn not(self) -> Flags {
        Flags(!self.0 & Flags::all().0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            let s = if first { "" } else { " | " };
            first = false;
            f.write_str(s)
        };
        f.write_str("Flags(")?;
        for (flag, name) in Flags::NAMES {
            if self.contains(flag) {
                sep(f)?;
                f.write_str(name)?;
            }
        }
        let unknown = self.0 & !Flags::all().0;
        if unknown != 0 {
            sep(f)?;
            write!(f, "{unknown:#x}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_names() {
        assert_eq!(Flags::from_bits(0x40), None);
        assert_eq!(Flags::from_bits_retain(0x41).bits(), 0x41);
        assert_eq!(
            format!("{:?}", Flags::WB | Flags::NODRAIN),
            "Flags(NODRAIN | WB)"
        );
        assert_eq!(
            format!("{:?}", Flags::from_bits_retain(0x80)),
            "Flags(0x80)"
        );
        assert!(Flags::empty().is_empty() && Flags::all().contains(Flags::NOFLUSH));
    }

    #[test]
    fn set_operations() {
        let mut f = Flags::NODRAIN | Flags::WC;
        assert!(f.intersects(Flags::WC | Flags::WB) && !f.intersects(Flags::WB));
        f.insert(Flags::NOFLUSH);
        f.remove(Flags::NODRAIN);
        assert_eq!(f, Flags::WC | Flags::NOFLUSH);
        assert_eq!(Flags::WC.union(Flags::NOFLUSH), f);
        assert_eq!(f - Flags::WC, Flags::NOFLUSH);
        assert_eq!(!Flags::empty(), Flags::all());
        assert_eq!(!Flags::all(), Flags::empty());
        f &= Flags::WC;
        assert_eq!(f, Flags::WC);
    }
}
