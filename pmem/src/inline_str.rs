//! Short text formatted without the heap: the dispatch description, which as a `String` kept
//! in the table was the one block memcheck listed as "still reachable" at exit.

use std::fmt;

/// Up to `N` bytes of UTF-8; longer text is cut at a character boundary.
#[derive(Clone, Copy)]
pub struct InlineStr<const N: usize> {
    buf: [u8; N],
    len: usize,
    /// Set at the first cut: nothing after it is kept, so the text is a prefix.
    full: bool,
}

impl<const N: usize> InlineStr<N> {
    pub fn format(args: fmt::Arguments<'_>) -> Self {
        let mut s = InlineStr {
            buf: [0; N],
            len: 0,
            full: false,
        };
        // Our `write_str` never fails: it cuts instead.
        let _ = fmt::Write::write_fmt(&mut s, args);
        s
    }
}

impl<const N: usize> fmt::Write for InlineStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.full {
            return Ok(());
        }
        let mut n = s.len().min(N - self.len);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.full = n < s.len();
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

impl<const N: usize> std::ops::Deref for InlineStr<N> {
    type Target = str;
    fn deref(&self) -> &str {
        // The buffer only ever receives whole characters of `&str`s.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::InlineStr;

    #[test]
    fn keeps_text_and_cuts_at_a_character() {
        let s = InlineStr::<16>::format(format_args!("flush: {} {}", "clwb", 256));
        assert_eq!(&*s, "flush: clwb 256");
        let s = InlineStr::<8>::format(format_args!("abcdefgh{}", "ij"));
        assert_eq!(&*s, "abcdefgh");
        // 'é' is two bytes: it does not fit in the last one.
        let s = InlineStr::<4>::format(format_args!("abcé"));
        assert_eq!(&*s, "abc");
        assert_eq!(format!("{s}"), "abc");
        // Nothing after a cut: the text stays a prefix.
        let s = InlineStr::<8>::format(format_args!("abcdefg{}{}", "é", "x"));
        assert_eq!(&*s, "abcdefg");
    }
}
