//! A software model of the x87 80-bit `long double` that Redis's INCRBYFLOAT computes in
//! on x86-64: `strtold` parsing, one rounded addition, and `%.17Lf` printing. Plain f64 is
//! visibly different (`10.5 + 0.1` prints `10.59999999999999964` in f64, `10.6` in Redis),
//! so the 64-bit significand and round-half-even rounding are reproduced exactly.

use std::cmp::Ordering;

/// Largest binary exponent of a finite value (`m * 2^e` with `m < 2^64`): 2^16384 overflows.
const MAX_EXP: i64 = 16384 - 64;
/// Values below 2^-16445 (the smallest subnormal) round to zero.
const MIN_EXP: i64 = -16445 - 64;

/// A finite extended-precision value `(-1)^neg * mant * 2^exp`, or an infinity/NaN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongDouble {
    Finite { neg: bool, mant: u64, exp: i64 },
    Inf { neg: bool },
    NaN,
}

impl LongDouble {
    /// The exact value of an i64 (a 64-bit significand holds every i64).
    pub fn from_i64(v: i64) -> LongDouble {
        LongDouble::Finite { neg: v < 0, mant: v.unsigned_abs(), exp: 0 }
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Parses like glibc's `strtold` over the whole string, with Redis's `string2ld`
    /// refusals: leading space, trailing garbage, NaN, overflow and underflow to zero.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s[0].is_ascii_whitespace() {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Inf { neg });
        }
        if body.len() > 1 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            return parse_hex(neg, &body[2..]);
        }
        let mut digits = Big::zero();
        let mut any = false;
        let mut exp10: i64 = 0;
        let mut i = 0;
        let mut seen_point = false;
        while i < body.len() {
            let c = body[i];
            if c.is_ascii_digit() {
                any = true;
                if !(digits.is_zero() && c == b'0') {
                    digits.mul_add_small(10, u32::from(c - b'0'));
                }
                if seen_point {
                    exp10 -= 1;
                }
            } else if c == b'.' && !seen_point {
                seen_point = true;
            } else {
                break;
            }
            i += 1;
        }
        if !any {
            return None;
        }
        if i < body.len() {
            if (body[i] | 0x20) != b'e' {
                return None;
            }
            let e = std::str::from_utf8(&body[i + 1..]).ok()?;
            let eb = e.as_bytes();
            let start = usize::from(matches!(eb.first(), Some(b'+' | b'-')));
            if eb.len() == start || !eb[start..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            // Saturate huge exponents: they overflow or underflow anyway.
            let mag: i64 = e[start..].parse::<i64>().unwrap_or(i64::MAX / 4).min(1 << 40);
            exp10 += if eb[0] == b'-' { -mag } else { mag };
        }
        if digits.is_zero() {
            return Some(LongDouble::Finite { neg, mant: 0, exp: 0 });
        }
        from_decimal(neg, digits, exp10)
    }

    /// `self + other` rounded to nearest-even, as the x87 FPU does in extended precision.
    pub fn plus(self, other: LongDouble) -> LongDouble {
        use LongDouble::*;
        match (self, other) {
            (NaN, _) | (_, NaN) => NaN,
            (Inf { neg: a }, Inf { neg: b }) if a != b => NaN,
            (Inf { neg }, _) | (_, Inf { neg }) => Inf { neg },
            (Finite { neg: na, mant: ma, exp: ea }, Finite { neg: nb, mant: mb, exp: eb }) => {
                if ma == 0 {
                    return if mb == 0 { Finite { neg: na && nb, mant: 0, exp: 0 } } else { other };
                }
                if mb == 0 {
                    return self;
                }
                add_finite((na, ma, ea), (nb, mb, eb))
            }
        }
    }

    /// Redis's `ld2string(.., LD_STR_HUMAN)`: `%.17Lf`, then trailing zeros (and a bare
    /// '.') removed, and "-0" turned into "0".
    pub fn to_human_string(&self) -> String {
        let (neg, mant, exp) = match *self {
            LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
            LongDouble::Inf { neg } => return if neg { "-inf".into() } else { "inf".into() },
            LongDouble::NaN => return "nan".into(),
        };
        // The value times 10^17, rounded half-even to an integer.
        let scaled: Big = if exp >= 0 {
            let mut b = Big::from_u128(u128::from(mant));
            b.shl(exp as u64);
            for _ in 0..17 {
                b.mul_add_small(10, 0);
            }
            b
        } else {
            let n = u128::from(mant) * 100_000_000_000_000_000u128;
            let k = (-exp) as u64;
            Big::from_u128(round_shift_u128(n, k, false))
        };
        let mut digits = scaled.to_decimal();
        while digits.len() < 18 {
            digits.insert(0, '0');
        }
        let split = digits.len() - 17;
        let mut out = String::with_capacity(digits.len() + 2);
        if neg {
            out.push('-');
        }
        out.push_str(&digits[..split]);
        let frac = digits[split..].trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if out == "-0" {
            out = "0".into();
        }
        out
    }
}

/// Shifts `n` right by `k` bits rounding half to even; `sticky` says lower non-zero bits
/// were already dropped.
fn round_shift_u128(n: u128, k: u64, sticky: bool) -> u128 {
    if k == 0 {
        return n;
    }
    if k > 128 {
        return 0;
    }
    let q = if k == 128 { 0 } else { n >> k };
    let rem = if k == 128 { n } else { n & ((1u128 << k) - 1) };
    let half = 1u128 << (k - 1);
    let up = match rem.cmp(&half) {
        Ordering::Greater => true,
        Ordering::Equal => sticky || q & 1 == 1,
        Ordering::Less => false,
    };
    q + u128::from(up)
}

/// Rounds a wide significand `n` (with `sticky` lower bits) times 2^exp to 64 bits.
fn normalize(neg: bool, n: u128, exp: i64, sticky: bool) -> LongDouble {
    if n == 0 {
        return LongDouble::Finite { neg, mant: 0, exp: 0 };
    }
    let bits = 128 - i64::from(n.leading_zeros());
    let (mut m, mut e) = if bits > 64 {
        let k = (bits - 64) as u64;
        (round_shift_u128(n, k, sticky), exp + k as i64)
    } else {
        (n, exp)
    };
    if m >> 64 != 0 {
        m >>= 1;
        e += 1;
    }
    if e > MAX_EXP {
        return LongDouble::Inf { neg };
    }
    if e < MIN_EXP {
        return LongDouble::Finite { neg, mant: 0, exp: 0 };
    }
    LongDouble::Finite { neg, mant: m as u64, exp: e }
}

fn add_finite(a: (bool, u64, i64), b: (bool, u64, i64)) -> LongDouble {
    // Put the operand of larger magnitude first (compare top-bit positions, then values).
    let top = |(_, m, e): (bool, u64, i64)| e + 64 - i64::from(m.leading_zeros());
    let (big, small) = if (top(a), u128::from(a.1) << (a.1.leading_zeros())) >= (top(b), u128::from(b.1) << (b.1.leading_zeros())) { (a, b) } else { (b, a) };
    // Align both with 62 guard bits below the larger one's significand.
    let mb_norm = big.1 << big.1.leading_zeros();
    let eb = big.2 - i64::from(big.1.leading_zeros()) - 62;
    let x = u128::from(mb_norm) << 62;
    let ms_norm = small.1 << small.1.leading_zeros();
    let es = small.2 - i64::from(small.1.leading_zeros()) - 62;
    let d = (eb - es) as u64;
    let full = u128::from(ms_norm) << 62;
    let (y, sticky) = if d == 0 {
        (full, false)
    } else if d >= 127 {
        (0, true)
    } else {
        (full >> d, full & ((1u128 << d) - 1) != 0)
    };
    // The sticky bit joins the lowest guard bit so ties are broken correctly.
    let y = y | u128::from(sticky);
    let r = if big.0 == small.0 { x + y } else { x - y };
    if r == 0 {
        return LongDouble::Finite { neg: false, mant: 0, exp: 0 };
    }
    normalize(big.0, r, eb, false)
}

/// `digits * 10^exp10`, correctly rounded.
fn from_decimal(neg: bool, digits: Big, exp10: i64) -> Option<LongDouble> {
    // Beyond these the result certainly overflows or underflows.
    let dbits = digits.bit_len() as i64;
    if exp10 > 5000 || (exp10 as f64) * std::f64::consts::LOG2_10 + dbits as f64 > 16400.0 {
        return None;
    }
    if exp10 < -10000 || (exp10 as f64) * std::f64::consts::LOG2_10 + (dbits as f64) < -16500.0 {
        return None;
    }
    let r = if exp10 >= 0 {
        let mut n = digits;
        for _ in 0..exp10 {
            n.mul_add_small(10, 0);
        }
        let bits = n.bit_len();
        let shift = bits.saturating_sub(126);
        let sticky = n.low_bits_nonzero(shift);
        let top = n.shr_to_u128(shift);
        normalize(neg, top, shift as i64, sticky)
    } else {
        let mut den = Big::from_u128(1);
        for _ in 0..(-exp10) {
            den.mul_add_small(10, 0);
        }
        let mut num = digits;
        let s = (70 + den.bit_len() as i64 - num.bit_len() as i64).max(0) as u64;
        num.shl(s);
        let (q, rem_nonzero) = num.div_small_quotient(&den);
        normalize(neg, q, -(s as i64), rem_nonzero)
    };
    match r {
        LongDouble::Inf { .. } => None,
        LongDouble::Finite { mant: 0, .. } => None,
        v => Some(v),
    }
}

/// Hexadecimal floats (`0x1.8p3`), which `strtold` accepts too.
fn parse_hex(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut mant: u128 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut sticky = false;
    let mut i = 0;
    let mut point = false;
    while i < s.len() {
        let c = s[i];
        if let Some(v) = (c as char).to_digit(16) {
            any = true;
            if mant >> 120 == 0 {
                mant = (mant << 4) | u128::from(v);
                if point {
                    exp -= 4;
                }
            } else {
                sticky |= v != 0;
                if !point {
                    exp += 4;
                }
            }
        } else if c == b'.' && !point {
            point = true;
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if i < s.len() {
        if (s[i] | 0x20) != b'p' {
            return None;
        }
        let e = std::str::from_utf8(&s[i + 1..]).ok()?;
        let eb = e.as_bytes();
        let start = usize::from(matches!(eb.first(), Some(b'+' | b'-')));
        if eb.len() == start || !eb[start..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mag: i64 = e[start..].parse::<i64>().unwrap_or(1 << 40).min(1 << 40);
        exp += if eb[0] == b'-' { -mag } else { mag };
    }
    if mant == 0 {
        return Some(LongDouble::Finite { neg, mant: 0, exp: 0 });
    }
    match normalize(neg, mant, exp, sticky) {
        LongDouble::Inf { .. } | LongDouble::Finite { mant: 0, .. } => None,
        v => Some(v),
    }
}

/// A minimal unsigned big integer (little-endian u32 limbs), enough for exact decimal
/// conversion of extended-precision values.
#[derive(Debug, Clone)]
struct Big(Vec<u32>);

impl Big {
    fn zero() -> Big {
        Big(Vec::new())
    }

    fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big(limbs)
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn mul_add_small(&mut self, mul: u32, add: u32) {
        let mut carry = u64::from(add);
        for l in &mut self.0 {
            let v = u64::from(*l) * u64::from(mul) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn bit_len(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }

    fn bit(&self, i: u64) -> bool {
        self.0.get((i / 32) as usize).is_some_and(|l| (l >> (i % 32)) & 1 == 1)
    }

    fn shl(&mut self, bits: u64) {
        if self.is_zero() || bits == 0 {
            return;
        }
        let words = (bits / 32) as usize;
        let b = (bits % 32) as u32;
        let mut out = vec![0u32; words];
        let mut carry = 0u32;
        for &l in &self.0 {
            if b == 0 {
                out.push(l);
            } else {
                out.push((l << b) | carry);
                carry = l >> (32 - b);
            }
        }
        if carry != 0 {
            out.push(carry);
        }
        self.0 = out;
    }

    fn low_bits_nonzero(&self, bits: u64) -> bool {
        (0..bits).any(|i| self.bit(i))
    }

    /// `self >> shift` where the result fits in 128 bits.
    fn shr_to_u128(&self, shift: u64) -> u128 {
        let mut v: u128 = 0;
        let top = self.bit_len();
        let mut i = top;
        while i > shift {
            i -= 1;
            v = (v << 1) | u128::from(self.bit(i));
        }
        v
    }

    fn cmp_shifted(&self, other: &Big, shift: u64) -> Ordering {
        let mut o = other.clone();
        o.shl(shift);
        self.cmp_big(&o)
    }

    fn cmp_big(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let o = i64::from(other.0.get(i).copied().unwrap_or(0));
            let mut v = i64::from(self.0[i]) - o - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            self.0[i] = v as u32;
        }
        self.trim();
    }

    /// Quotient (which must fit in 128 bits) and whether the remainder is non-zero.
    fn div_small_quotient(mut self, den: &Big) -> (u128, bool) {
        let nb = self.bit_len();
        let db = den.bit_len();
        if nb < db {
            return (0, !self.is_zero());
        }
        let mut q: u128 = 0;
        let mut i = (nb - db + 1).min(127);
        loop {
            if self.cmp_shifted(den, i) != Ordering::Less {
                let mut d = den.clone();
                d.shl(i);
                self.sub_assign(&d);
                q |= 1u128 << i;
            }
            if i == 0 {
                break;
            }
            i -= 1;
        }
        (q, !self.is_zero())
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut limbs = self.0.clone();
        let mut chunks = Vec::new();
        while !limbs.is_empty() {
            let mut rem = 0u64;
            for l in limbs.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*l);
                *l = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
            chunks.push(rem as u32);
        }
        let mut s = String::new();
        for (i, c) in chunks.iter().rev().enumerate() {
            if i == 0 {
                s.push_str(&c.to_string());
            } else {
                s.push_str(&format!("{c:09}"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        let x = LongDouble::parse(a.as_bytes()).unwrap();
        let y = LongDouble::parse(b.as_bytes()).unwrap();
        x.plus(y).to_human_string()
    }

    #[test]
    fn matches_redis_outputs() {
        assert_eq!(incr("10.50", "0.1"), "10.6");
        assert_eq!(incr("5.0e3", "2.0e2"), "5200");
        assert_eq!(incr("0", "1.5"), "1.5");
        assert_eq!(incr("1e20", "0"), "100000000000000000000");
        assert_eq!(incr("-1", "1"), "0");
        assert_eq!(incr("0.1", "0.2"), "0.3");
        assert_eq!(incr("-0.0", "0"), "0");
        assert_eq!(incr("0x10", "1"), "17");
    }

    #[test]
    fn rejects_what_strtold_rejects() {
        for bad in ["", " 1", "1 ", "abc", "1e", "nan", "1e99999", "1e-99999", ".", "-", "1.2.3"] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad}");
        }
        assert_eq!(LongDouble::parse(b"inf"), Some(LongDouble::Inf { neg: false }));
        assert_eq!(LongDouble::parse(b"-Infinity"), Some(LongDouble::Inf { neg: true }));
        assert!(LongDouble::parse(b"5.").is_some());
        assert!(LongDouble::parse(b".5").is_some());
    }

    #[test]
    fn infinities_and_nan() {
        let inf = LongDouble::Inf { neg: false };
        assert!(!inf.plus(LongDouble::from_i64(1)).is_finite());
        assert_eq!(inf.plus(LongDouble::Inf { neg: true }), LongDouble::NaN);
    }
}
