// Montgomery arithmetic modulo the 3072-bit prime of RFC 3526 (group 15), on fixed-width
// little-endian arrays of 48 words, in constant time.
//
// Why not a crate: crypto-bigint 0.7 (the constant-time candidate) and num-bigint (variable
// time) both take about 3.9 µs for one 3072-bit Montgomery multiplication here, and neither has
// a dedicated squaring; SRP needs about 600 squarings and 170 multiplications per login after
// the exponents are cut to size (see `docs/benchmarks.md`). Product scanning with separate
// accumulators for the two halves of a column, and a squaring that computes each cross product
// once, do the same work about a third faster.
//
// Constant time: every loop runs a number of times fixed by the (public) modulus size, there is
// no branch and no memory index that depends on a value, and the final subtraction is masked.
//
// This file is also compiled into the crate's build script (`build.rs`, with `include!`), which
// uses it to precompute the tables of powers of the generator: hence plain `//` comments and no
// paths outside this file.

/// Words in an element.
pub(crate) const L: usize = 48;
/// An integer modulo N, little-endian 64-bit words.
pub(crate) type Words = [u64; L];

/// N: the 3072-bit MODP group of RFC 3526 (group 15), the modulus Cognito uses.
pub(crate) const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

const fn hex_digit(c: u8) -> u64 {
    match c {
        b'0'..=b'9' => (c - b'0') as u64,
        b'a'..=b'f' => (c - b'a' + 10) as u64,
        b'A'..=b'F' => (c - b'A' + 10) as u64,
        _ => panic!("the group modulus is hexadecimal"),
    }
}

const fn parse_modulus(hex: &str) -> Words {
    let bytes = hex.as_bytes();
    assert!(bytes.len() == L * 16, "the group modulus has 3072 bits");
    let mut w = [0u64; L];
    let mut i = 0;
    while i < bytes.len() {
        let word = L - 1 - i / 16;
        w[word] = (w[word] << 4) | hex_digit(bytes[i]);
        i += 1;
    }
    w
}

pub(crate) const N: Words = parse_modulus(N_HEX);

/// -N^-1 mod 2^64 (Newton's iteration; it is 1 for this N, whose low word is all ones).
const N_NEG_INV: u64 = {
    let mut inv = 1u64;
    let mut i = 0;
    while i < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(N[0].wrapping_mul(inv)));
        i += 1;
    }
    inv.wrapping_neg()
};

/// R mod N = 2^3072 - N (N < 2^3072 < 2N): 1 in Montgomery form.
pub(crate) const ONE: Words = {
    let mut r = [0u64; L];
    let mut borrow = 0u64;
    let mut i = 0;
    while i < L {
        let (x, b1) = 0u64.overflowing_sub(N[i]);
        let (y, b2) = x.overflowing_sub(borrow);
        r[i] = y;
        borrow = (b1 | b2) as u64;
        i += 1;
    }
    r
};

/// A three-word accumulator for one column of products.
#[derive(Clone, Copy)]
struct Acc(u64, u64, u64);

impl Acc {
    const ZERO: Acc = Acc(0, 0, 0);

    #[inline(always)]
    const fn mac(&mut self, a: u64, b: u64) {
        let p = (a as u128) * (b as u128);
        let (lo, c0) = self.0.overflowing_add(p as u64);
        let (mid, c1) = self.1.overflowing_add((p >> 64) as u64);
        let (mid, c2) = mid.overflowing_add(c0 as u64);
        self.0 = lo;
        self.1 = mid;
        self.2 = self.2.wrapping_add(c1 as u64 + c2 as u64);
    }

    #[inline(always)]
    const fn add(&mut self, o: &Acc) {
        let (lo, c0) = self.0.overflowing_add(o.0);
        let (mid, c1) = self.1.overflowing_add(o.1);
        let (mid, c2) = mid.overflowing_add(c0 as u64);
        self.0 = lo;
        self.1 = mid;
        self.2 = self.2.wrapping_add(o.2 + c1 as u64 + c2 as u64);
    }

    /// Doubles (the cross products of a square); a column of them stays far below 2^191.
    #[inline(always)]
    const fn double(&mut self) {
        self.2 = (self.2 << 1) | (self.1 >> 63);
        self.1 = (self.1 << 1) | (self.0 >> 63);
        self.0 <<= 1;
    }

    /// Takes the low word out and moves the rest down one word.
    #[inline(always)]
    const fn shift(&mut self) -> u64 {
        let low = self.0;
        self.0 = self.1;
        self.1 = self.2;
        self.2 = 0;
        low
    }
}

/// r, or r - N when `top`·2^3072 + r ≥ N; for values below 2N. Constant time.
#[inline(always)]
pub(crate) const fn reduce_once(r: &mut Words, top: u64) {
    let mut d = [0u64; L];
    let mut borrow = 0u64;
    let mut i = 0;
    while i < L {
        let (x, b1) = r[i].overflowing_sub(N[i]);
        let (y, b2) = x.overflowing_sub(borrow);
        d[i] = y;
        borrow = (b1 | b2) as u64;
        i += 1;
    }
    // Keep r exactly when the subtraction borrowed past `top`.
    let (_, under) = top.overflowing_sub(borrow);
    let keep = 0u64.wrapping_sub(under as u64);
    let mut i = 0;
    while i < L {
        r[i] = (r[i] & keep) | (d[i] & !keep);
        i += 1;
    }
}

/// N with its words in reverse order: column sums read one operand backwards, and a reversed
/// copy lets both run forwards.
const N_REV: Words = {
    let mut r = [0u64; L];
    let mut i = 0;
    while i < L {
        r[i] = N[L - 1 - i];
        i += 1;
    }
    r
};

fn reversed(a: &Words) -> Words {
    let mut r = *a;
    r.reverse();
    r
}

/// Adds `xs[k]·ys[k]` for every k to `acc`: one column of a product, with `ys` reversed. Two
/// products per step into two accumulators, and slices of equal length, so that the loop has
/// no bounds checks and two independent chains of additions.
#[inline(always)]
fn column(acc: &mut Acc, xs: &[u64], ys: &[u64]) {
    let mut other = Acc::ZERO;
    let mut xc = xs.chunks_exact(2);
    let mut yc = ys.chunks_exact(2);
    for (x, y) in (&mut xc).zip(&mut yc) {
        acc.mac(x[0], y[0]);
        other.mac(x[1], y[1]);
    }
    for (x, y) in xc.remainder().iter().zip(yc.remainder()) {
        acc.mac(*x, *y);
    }
    acc.add(&other);
}

/// Adds `xs[k]·ys[k]` and `ms[k]·ns[k]` for every k to `acc`: one column of a product and of
/// its reduction in the same loop, as two independent chains of additions (one loop per column
/// instead of two made a multiplication about 13% faster).
#[inline(always)]
fn column_pair(acc: &mut Acc, xs: &[u64], ys: &[u64], ms: &[u64], ns: &[u64]) {
    let mut other = Acc::ZERO;
    for (((x, y), m), n) in xs.iter().zip(ys).zip(ms).zip(ns) {
        acc.mac(*x, *y);
        other.mac(*m, *n);
    }
    acc.add(&other);
}

/// The Montgomery product a·b·R^-1 mod N of a, b < N (finely integrated product scanning: the
/// reduction of each column is folded in as the column is summed).
pub(crate) fn mont_mul(a: &Words, b: &Words) -> Words {
    let b_rev = reversed(b);
    let mut m = [0u64; L];
    let mut r = [0u64; L];
    let mut acc = Acc::ZERO;
    for i in 0..2 * L {
        // Column i sums a_j·b_(i-j) and m_j·N_(i-j) over the j that exist; b_(i-j) is
        // b_rev[L-1-i+j]. m_i is not known yet in column i < L, but it is still zero there,
        // so its term adds nothing until it is chosen below to clear the column's low word.
        let low = (i + 1).saturating_sub(L);
        let len = i.min(L - 1) + 1 - low;
        let base = L - 1 + low - i;
        column_pair(
            &mut acc,
            &a[low..low + len],
            &b_rev[base..base + len],
            &m[low..low + len],
            &N_REV[base..base + len],
        );
        if i < L {
            let mi = acc.0.wrapping_mul(N_NEG_INV);
            m[i] = mi;
            acc.mac(mi, N[0]);
            acc.shift();
        } else {
            r[i - L] = acc.shift();
        }
    }
    reduce_once(&mut r, acc.0);
    r
}

/// The Montgomery square a²·R^-1 mod N of a < N: each cross product a_i·a_j is computed once
/// and doubled, which saves about a quarter of the work of `mont_mul`.
pub(crate) fn mont_sqr(a: &Words) -> Words {
    let a_rev = reversed(a);
    let mut m = [0u64; L];
    let mut r = [0u64; L];
    let mut acc = Acc::ZERO;
    for i in 0..2 * L {
        let low = (i + 1).saturating_sub(L);
        let base = L - 1 + low - i;
        // The cross products a_j·a_(i-j), j < i - j, once; then doubled.
        let half = i.div_ceil(2).max(low); // j < half  <=>  2j < i
        let mut p = Acc::ZERO;
        column(&mut p, &a[low..half], &a_rev[base..base + half - low]);
        p.double();
        if i % 2 == 0 {
            p.mac(a[i / 2], a[i / 2]);
        }
        let m_high = if i < L { i } else { L };
        column(&mut p, &m[low..m_high], &N_REV[base..base + m_high - low]);
        acc.add(&p);
        if i < L {
            let mi = acc.0.wrapping_mul(N_NEG_INV);
            m[i] = mi;
            acc.mac(mi, N[0]);
            acc.shift();
        } else {
            r[i - L] = acc.shift();
        }
    }
    reduce_once(&mut r, acc.0);
    r
}

/// a + b mod N, for a, b < N.
pub(crate) fn add_mod(a: &Words, b: &Words) -> Words {
    let mut r = [0u64; L];
    let mut carry = 0u64;
    let mut i = 0;
    while i < L {
        let (x, c1) = a[i].overflowing_add(b[i]);
        let (y, c2) = x.overflowing_add(carry);
        r[i] = y;
        carry = (c1 | c2) as u64;
        i += 1;
    }
    reduce_once(&mut r, carry);
    r
}

/// a - b mod N, for a, b < N.
pub(crate) fn sub_mod(a: &Words, b: &Words) -> Words {
    let mut r = [0u64; L];
    let mut borrow = 0u64;
    let mut i = 0;
    while i < L {
        let (x, b1) = a[i].overflowing_sub(b[i]);
        let (y, b2) = x.overflowing_sub(borrow);
        r[i] = y;
        borrow = (b1 | b2) as u64;
        i += 1;
    }
    // Add N back when it borrowed.
    let mask = 0u64.wrapping_sub(borrow);
    let mut carry = 0u64;
    let mut i = 0;
    while i < L {
        let (x, c1) = r[i].overflowing_add(N[i] & mask);
        let (y, c2) = x.overflowing_add(carry);
        r[i] = y;
        carry = (c1 | c2) as u64;
        i += 1;
    }
    r
}

/// R² mod N, which takes a number into Montgomery form (`mont_mul(x, R²) = x·R`).
#[cfg_attr(not(test), allow(dead_code))] // the build script's, and a test's
pub(crate) fn r_squared() -> Words {
    // R mod N doubled 3072 times is R·2^3072 = R².
    let mut r = ONE;
    let mut i = 0;
    while i < 64 * L {
        r = add_mod(&r, &r);
        i += 1;
    }
    r
}

/// The fixed-base comb for g = 2: exponents below 2^(COMB_TEETH·COMB_SPACING) are read as
/// COMB_TEETH rows of COMB_SPACING bits, and the table holds, for every set of rows, the product
/// of g^(2^(row·COMB_SPACING)) over that set. Each row is read as two blocks of COMB_BLOCK bits,
/// with a second table for the upper block (the first one's entries raised to 2^COMB_BLOCK):
/// g^e then costs COMB_BLOCK squarings and twice as many multiplications, instead of one
/// squaring per bit (Lim and Lee, CRYPTO '94). The second block saves 20 squarings per power
/// for 98 KB of table.
pub(crate) const COMB_TEETH: usize = 8;
pub(crate) const COMB_SPACING: usize = 40;
pub(crate) const COMB_BLOCK: usize = COMB_SPACING / 2;
pub(crate) const COMB_BITS: usize = COMB_TEETH * COMB_SPACING;

/// The comb table for the lower blocks, in Montgomery form (computed by the build script, and
/// again by a test).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn comb_table() -> Vec<Words> {
    let mut teeth = [ONE; COMB_TEETH];
    // g = 2 in Montgomery form is 2R mod N.
    let mut power = add_mod(&ONE, &ONE);
    for tooth in teeth.iter_mut() {
        *tooth = power;
        for _ in 0..COMB_SPACING {
            power = mont_sqr(&power);
        }
    }
    let mut table = vec![ONE; 1 << COMB_TEETH];
    for j in 1..table.len() {
        let rest = j & (j - 1);
        let row = (j ^ rest).trailing_zeros() as usize;
        table[j] = mont_mul(&table[rest], &teeth[row]);
    }
    table
}

/// The comb table for the upper blocks: each entry of `low` raised to 2^COMB_BLOCK.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn comb_table_high(low: &[Words]) -> Vec<Words> {
    low.iter()
        .map(|entry| {
            let mut power = *entry;
            for _ in 0..COMB_BLOCK {
                power = mont_sqr(&power);
            }
            power
        })
        .collect()
}
