//! The address ranges known to be persistent memory: mappings `pmem_map_file` made with
//! MAP_SYNC granted, or of device DAX.
//!
//! `pmem_is_pmem` asks whether a range lies wholly inside them (unless `PMEM_IS_PMEM_FORCE`
//! answers first); `pmem_unmap` removes (and may split) them; deep flush asks which device a
//! range belongs to.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::forksafe::{ForkOrder, ReadGuard, RwLock, WriteGuard};

/// How a registered range is persistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file on a DAX filesystem mapped with MAP_SYNC.
    MapSync,
    /// A device DAX character device major:minor.
    DevDax { major: u32, minor: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    end: usize,
    kind: Kind,
}

/// Disjoint half-open ranges [start, end), keyed by start.
#[derive(Debug, Default)]
pub struct Ranges {
    map: BTreeMap<usize, Entry>,
}

impl Ranges {
    pub const fn new() -> Self {
        Ranges {
            map: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Adds [start, end), replacing whatever overlapped it.
    pub fn insert(&mut self, start: usize, end: usize, kind: Kind) {
        if start >= end {
            return;
        }
        self.remove(start, end);
        self.map.insert(start, Entry { end, kind });
    }

    /// Removes [start, end) from every range, splitting a range that sticks out on both sides.
    pub fn remove(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        // The range starting before `start` may reach into the removed part.
        let before = self.map.range(..start).next_back().map(|(&s, &e)| (s, e));
        if let Some((s, e)) = before {
            if e.end > start {
                self.map.insert(
                    s,
                    Entry {
                        end: start,
                        kind: e.kind,
                    },
                );
                if e.end > end {
                    self.map.insert(
                        end,
                        Entry {
                            end: e.end,
                            kind: e.kind,
                        },
                    );
                }
            }
        }
        let inside: Vec<usize> = self.map.range(start..end).map(|(&s, _)| s).collect();
        for s in inside {
            if let Some(e) = self.map.remove(&s) {
                if e.end > end {
                    self.map.insert(end, e);
                }
            }
        }
    }

    /// Whether every byte of [start, end) is in some range (adjacent ranges chain).
    pub fn covers(&self, start: usize, end: usize) -> bool {
        if start >= end {
            return false;
        }
        let mut pos = start;
        let mut iter = self
            .map
            .range((Bound::Unbounded, Bound::Included(start)))
            .next_back();
        loop {
            match iter {
                Some((&s, e)) if s <= pos && e.end > pos => pos = e.end,
                _ => return false,
            }
            if pos >= end {
                return true;
            }
            iter = self.map.range(pos..=pos).next();
        }
    }

    /// The pieces of registered ranges inside [start, end), with their kind.
    pub fn pieces(&self, start: usize, end: usize) -> Vec<(usize, usize, Kind)> {
        let mut out = Vec::new();
        if let Some((_, e)) = self.map.range(..start).next_back() {
            if e.end > start {
                out.push((start, e.end.min(end), e.kind));
            }
        }
        for (&s, e) in self.map.range(start..end) {
            out.push((s, e.end.min(end), e.kind));
        }
        out
    }
}

static REGISTRY: RwLock<Ranges> = RwLock::new(Ranges::new(), ForkOrder::Registry);
/// Number of registered ranges, so `pmem_is_pmem` skips the lock when there is none.
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// The ranges, for reading.
pub fn read() -> ReadGuard<'static, Ranges> {
    REGISTRY.read()
}

/// The ranges, for changing; as `read`.
pub fn write() -> WriteGuard<'static, Ranges> {
    REGISTRY.write()
}

/// Keeps the lock-free count in step after a change made under `write()`.
pub fn publish_count(ranges: &Ranges) {
    COUNT.store(ranges.len(), Ordering::Release);
}

/// Whether [addr, addr+len) lies wholly in registered ranges. Locks only once a range was
/// registered.
#[inline]
fn registered(addr: usize, len: usize) -> bool {
    if len == 0 || COUNT.load(Ordering::Acquire) == 0 {
        return false;
    }
    match addr.checked_add(len) {
        Some(end) => read().covers(addr, end),
        None => false,
    }
}

const FORCE_UNREAD: u8 = 0;
const FORCE_NONE: u8 = 1;
const FORCE_NEVER: u8 = 2;
const FORCE_ALWAYS: u8 = 3;

/// PMEM_IS_PMEM_FORCE, read once at the first call (as PMDK does: a program may set it in
/// `main`), cached in one byte for the fast path.
static FORCE: AtomicU8 = AtomicU8::new(FORCE_UNREAD);

#[inline]
fn force() -> u8 {
    let f = FORCE.load(Ordering::Relaxed);
    if f != FORCE_UNREAD {
        return f;
    }
    // The OnceLock makes the environment be read exactly once, however many threads race here.
    static READ: OnceLock<u8> = OnceLock::new();
    let f = *READ.get_or_init(|| match crate::config::is_pmem_force() {
        None => FORCE_NONE,
        Some(false) => FORCE_NEVER,
        Some(true) => FORCE_ALWAYS,
    });
    FORCE.store(f, Ordering::Relaxed);
    f
}

/// pmem_is_pmem(3): whether all of [addr, addr+len) is persistent memory this process mapped
/// (with [`MapOptions`](crate::MapOptions) or `pmem_map_file`), or `PMEM_IS_PMEM_FORCE` says
/// so.
#[inline]
pub fn is_pmem(addr: *const u8, len: usize) -> bool {
    // The forced answers first, with nothing else on this path: it is a leaf function that
    // needs no stack frame (docs/performance.md); everything else is one tail call away.
    match FORCE.load(Ordering::Relaxed) {
        FORCE_ALWAYS => len > 0,
        FORCE_NEVER => false,
        _ => is_pmem_slow(addr, len),
    }
}

#[inline(never)]
fn is_pmem_slow(addr: *const u8, len: usize) -> bool {
    match force() {
        FORCE_NEVER => false,
        FORCE_ALWAYS => len > 0,
        _ => registered(addr as usize, len),
    }
}

/// What PMEM_IS_PMEM_FORCE says of every range (read at the first call), or None.
pub fn forced() -> Option<bool> {
    match force() {
        FORCE_NEVER => Some(false),
        FORCE_ALWAYS => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Kind = Kind::MapSync;

    #[test]
    fn covers_single_and_chained_ranges() {
        let mut r = Ranges::new();
        r.insert(100, 200, S);
        assert!(r.covers(100, 200));
        assert!(r.covers(150, 160));
        assert!(!r.covers(99, 150));
        assert!(!r.covers(150, 201));
        assert!(!r.covers(150, 150));
        r.insert(200, 300, S);
        assert!(r.covers(150, 250), "adjacent ranges chain");
        r.insert(310, 400, S);
        assert!(!r.covers(150, 350), "a gap breaks coverage");
    }

    #[test]
    fn partial_removal_splits() {
        let mut r = Ranges::new();
        r.insert(0x1000, 0x5000, S);
        r.remove(0x2000, 0x3000);
        assert_eq!(r.len(), 2);
        assert!(r.covers(0x1000, 0x2000));
        assert!(!r.covers(0x1fff, 0x2001));
        assert!(r.covers(0x3000, 0x5000));
        r.remove(0x0, 0x1800);
        assert!(r.covers(0x1800, 0x2000));
        assert!(!r.covers(0x1000, 0x1800));
        r.remove(0x4000, 0x9000);
        assert!(r.covers(0x3000, 0x4000));
        assert!(!r.covers(0x3000, 0x4001));
        r.remove(0, usize::MAX);
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn removing_across_several_ranges() {
        let mut r = Ranges::new();
        for i in 0..10 {
            r.insert(i * 100, i * 100 + 50, S);
        }
        r.remove(125, 725);
        assert!(r.covers(100, 125));
        assert!(r.covers(725, 750));
        assert!(!r.covers(200, 210));
        assert_eq!(r.len(), 5);
    }

    #[test]
    fn insert_replaces_overlaps() {
        let mut r = Ranges::new();
        r.insert(0, 100, S);
        let d = Kind::DevDax { major: 1, minor: 2 };
        r.insert(50, 150, d);
        assert_eq!(r.pieces(0, 200), vec![(0, 50, S), (50, 150, d)]);
        assert_eq!(r.pieces(60, 70), vec![(60, 70, d)]);
    }
}
