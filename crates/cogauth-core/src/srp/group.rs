//! The group SRP works in: integers modulo the 3072-bit prime N, generator g = 2, in Montgomery
//! form on fixed-width words ([`arith`](super::arith)). Exponentiation is constant time: the
//! number of steps depends only on a public bound on the exponent's length, and every table
//! lookup reads every entry.

use zeroize::{Zeroize, Zeroizing};

use super::arith::{
    COMB_BITS, COMB_BLOCK, COMB_SPACING, COMB_TEETH, ONE, add_mod, mont_mul, mont_sqr, reduce_once,
    sub_mod,
};
pub(crate) use super::arith::{L, N, Words};

// R_SQUARED, COMB and COMB_HIGH, computed by build.rs.
include!(concat!(env!("OUT_DIR"), "/srp_tables.rs"));

/// Bytes in an element.
pub(crate) const BYTES: usize = 8 * L;
/// Window of the variable-base exponentiation: 5 bits (a table of 32 powers) is the cheapest for
/// exponents of 500 to 1000 bits.
const WINDOW: usize = 5;
/// Longest exponent the comb takes (320 bits).
pub(crate) const COMB_EXPONENT_BITS: usize = COMB_BITS;

/// The words of a big-endian number of at most `BYTES` bytes.
pub(crate) fn words_from_be(bytes: &[u8]) -> Words {
    assert!(bytes.len() <= BYTES, "at most {BYTES} bytes");
    let mut w = [0u64; L];
    for (i, byte) in bytes.iter().rev().enumerate() {
        w[i / 8] |= u64::from(*byte) << (8 * (i % 8));
    }
    w
}

/// The big-endian bytes of `w`, all `BYTES` of them.
pub(crate) fn be_bytes(w: &Words) -> Zeroizing<[u8; BYTES]> {
    let mut out = Zeroizing::new([0u8; BYTES]);
    for (i, word) in w.iter().enumerate() {
        out[BYTES - 8 * (i + 1)..BYTES - 8 * i].copy_from_slice(&word.to_be_bytes());
    }
    out
}

pub(crate) fn is_zero(w: &Words) -> bool {
    w.iter().fold(0, |acc, word| acc | word) == 0
}

/// x·R mod N, for x < N.
pub(crate) fn to_montgomery(x: &Words) -> Words {
    mont_mul(x, &R_SQUARED)
}

/// x·R^-1 mod N: back from Montgomery form.
pub(crate) fn from_montgomery(x: &Words) -> Words {
    let mut one = [0u64; L];
    one[0] = 1;
    mont_mul(x, &one)
}

/// x mod N for x < 2^3072 (< 2N).
pub(crate) fn reduced(mut x: Words) -> Words {
    reduce_once(&mut x, 0);
    x
}

/// A big-endian number of any length, modulo N (for public values only: the server's B).
pub(crate) fn reduce_be(bytes: &[u8]) -> Words {
    let mut acc = [0u64; L];
    let first = match bytes.len() % BYTES {
        0 => BYTES.min(bytes.len()),
        n => n,
    };
    let (head, mut rest) = bytes.split_at(first);
    acc = add_mod(&acc, &reduced(words_from_be(head)));
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(BYTES);
        // acc·2^3072 + chunk: mont_mul(acc, R²) = acc·R.
        acc = add_mod(&mont_mul(&acc, &R_SQUARED), &reduced(words_from_be(chunk)));
        rest = tail;
    }
    acc
}

pub(crate) fn sub(a: &Words, b: &Words) -> Words {
    sub_mod(a, b)
}

pub(crate) fn mul(a: &Words, b: &Words) -> Words {
    mont_mul(a, b)
}

/// All ones when `a == b`, else zero, without a branch.
#[inline(always)]
fn eq_mask(a: usize, b: usize) -> u64 {
    let d = (a ^ b) as u64;
    // d - 1 has its top bit set only for d = 0 (d is small).
    let is_zero = d.wrapping_sub(1) >> 63;
    std::hint::black_box(0u64.wrapping_sub(is_zero))
}

/// `table[index]`, reading every entry.
fn lookup(table: &[Words], index: usize) -> Words {
    let mut out = [0u64; L];
    for (i, entry) in table.iter().enumerate() {
        let mask = eq_mask(i, index);
        for (o, e) in out.iter_mut().zip(entry) {
            *o |= e & mask;
        }
    }
    out
}

/// Bit `pos` of the little-endian number `e` (0 past its end).
#[inline(always)]
fn bit(e: &[u64], pos: usize) -> usize {
    e.get(pos / 64)
        .map_or(0, |w| ((w >> (pos % 64)) & 1) as usize)
}

/// `width` bits of `e` from bit `pos` up.
fn bits(e: &[u64], pos: usize, width: usize) -> usize {
    (0..width).fold(0, |acc, i| acc | (bit(e, pos + i) << i))
}

/// g^e in Montgomery form for e < 2^320, with the precomputed comb: 19 squarings, 39
/// multiplications and 40 lookups whatever e is.
pub(crate) fn pow_g(e: &[u64]) -> Words {
    assert!(
        e.len() * 64 <= COMB_EXPONENT_BITS,
        "the comb takes exponents of at most {COMB_EXPONENT_BITS} bits"
    );
    let mut z = ONE;
    for column in (0..COMB_BLOCK).rev() {
        let (mut low, mut high) = (0, 0);
        for row in 0..COMB_TEETH {
            low |= bit(e, row * COMB_SPACING + column) << row;
            high |= bit(e, row * COMB_SPACING + COMB_BLOCK + column) << row;
        }
        let mut low = lookup(&COMB, low);
        let mut high = lookup(&COMB_HIGH, high);
        let both = mont_mul(&low, &high);
        z = if column == COMB_BLOCK - 1 {
            both
        } else {
            mont_mul(&mont_sqr(&z), &both)
        };
        low.zeroize();
        high.zeroize();
    }
    z
}

/// base^e in Montgomery form (base in Montgomery form), for e < 2^e_bits: fixed 5-bit windows,
/// every window multiplies, every lookup reads the whole table.
pub(crate) fn pow(base: &Words, e: &[u64], e_bits: usize) -> Words {
    let mut table = Zeroizing::new([ONE; 1 << WINDOW]);
    table[1] = *base;
    for i in 2..table.len() {
        table[i] = if i % 2 == 0 {
            mont_sqr(&table[i / 2])
        } else {
            mont_mul(&table[i - 1], base)
        };
    }
    let windows = e_bits.div_ceil(WINDOW);
    let mut z = ONE;
    for w in (0..windows).rev() {
        let mut entry = lookup(table.as_slice(), bits(e, w * WINDOW, WINDOW));
        if w == windows - 1 {
            z = entry;
        } else {
            for _ in 0..WINDOW {
                z = mont_sqr(&z);
            }
            z = mont_mul(&z, &entry);
        }
        entry.zeroize();
    }
    z
}

/// Checks the precomputed tables against num-bigint, an independent implementation.
#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;
    use proptest::prelude::*;

    fn big(w: &Words) -> BigUint {
        BigUint::from_bytes_be(be_bytes(w).as_ref())
    }

    fn n() -> BigUint {
        big(&N)
    }

    fn r() -> BigUint {
        BigUint::from(1u8) << (64 * L)
    }

    fn words(x: &BigUint) -> Words {
        words_from_be(&x.to_bytes_be())
    }

    #[test]
    fn the_modulus_is_rfc_3526_group_15() {
        let n = n();
        assert_eq!(n.bits(), 3072);
        assert_eq!(
            format!("{n:X}"),
            super::super::arith::N_HEX.trim_start_matches('0')
        );
    }

    #[test]
    fn the_build_script_tables_are_right() {
        let n = n();
        assert_eq!(big(&R_SQUARED), (r() * r()) % &n);
        assert_eq!(super::super::arith::r_squared(), R_SQUARED);
        assert_eq!(big(&ONE), r() % &n);
        assert_eq!(super::super::arith::comb_table(), COMB.to_vec());
        // The upper blocks' table: all of it recomputed, some entries against num-bigint.
        assert_eq!(
            super::super::arith::comb_table_high(&COMB),
            COMB_HIGH.to_vec()
        );
        for j in [1usize, 2, 0x80, 0xff] {
            let mut exponent = BigUint::from(0u8);
            for row in 0..COMB_TEETH {
                if j >> row & 1 == 1 {
                    exponent += BigUint::from(1u8) << (row * COMB_SPACING + COMB_BLOCK);
                }
            }
            let want = BigUint::from(2u8).modpow(&exponent, &n) * r() % &n;
            assert_eq!(big(&COMB_HIGH[j]), want, "upper comb entry {j}");
        }
        for (j, entry) in COMB.iter().enumerate() {
            let mut exponent = BigUint::from(0u8);
            for row in 0..COMB_TEETH {
                if j >> row & 1 == 1 {
                    exponent += BigUint::from(1u8) << (row * COMB_SPACING);
                }
            }
            let want = BigUint::from(2u8).modpow(&exponent, &n) * r() % &n;
            assert_eq!(big(entry), want, "comb entry {j}");
        }
    }

    #[test]
    fn reduce_be_takes_any_length() {
        let n = n();
        for len in [0, 1, 383, 384, 385, 767, 768, 769, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8 | 0x80).collect();
            let want = BigUint::from_bytes_be(&bytes) % &n;
            assert_eq!(big(&reduce_be(&bytes)), want, "{len} bytes");
        }
        assert!(is_zero(&reduce_be(&be_bytes(&N)[..])));
    }

    fn element() -> impl Strategy<Value = BigUint> {
        prop::collection::vec(any::<u8>(), BYTES).prop_map(|b| BigUint::from_bytes_be(&b) % n())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn montgomery_products_match_num_bigint(a in element(), b in element()) {
            let n = n();
            let rinv = r().modinv(&n).unwrap();
            prop_assert_eq!(big(&mont_mul(&words(&a), &words(&b))), &a * &b * &rinv % &n);
            prop_assert_eq!(big(&mont_sqr(&words(&a))), &a * &a * &rinv % &n);
            prop_assert_eq!(big(&add_mod(&words(&a), &words(&b))), (&a + &b) % &n);
            prop_assert_eq!(big(&sub_mod(&words(&a), &words(&b))), (&a + &n - &b) % &n);
            prop_assert_eq!(big(&from_montgomery(&to_montgomery(&words(&a)))), a);
        }

    }

    proptest! {
        // Debug builds are slow at this: a few cases with long exponents are enough, as every
        // window and every lookup runs for each.
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn powers_match_num_bigint(
            base in element(),
            e in prop::collection::vec(any::<u64>(), 1..10),
        ) {
            let n = n();
            let e_big = BigUint::from_bytes_le(
                &e.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<_>>(),
            );
            let got = from_montgomery(&pow(&to_montgomery(&words(&base)), &e, e.len() * 64));
            prop_assert_eq!(big(&got), base.modpow(&e_big, &n));
            let short: Vec<u64> = e.iter().copied().take(5).collect();
            let short_big = BigUint::from_bytes_le(
                &short.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<_>>(),
            );
            prop_assert_eq!(
                big(&from_montgomery(&pow_g(&short))),
                BigUint::from(2u8).modpow(&short_big, &n)
            );
        }
    }

    #[test]
    fn edge_values() {
        let n = n();
        let n_minus_1 = words(&(&n - 1u8));
        let m = to_montgomery(&n_minus_1);
        // (N-1)^2 = 1, (N-1)^odd = N-1, anything^0 = 1
        assert_eq!(big(&from_montgomery(&mont_sqr(&m))), BigUint::from(1u8));
        assert_eq!(big(&from_montgomery(&pow(&m, &[3], 2))), &n - 1u8);
        assert_eq!(big(&from_montgomery(&pow(&m, &[0], 0))), BigUint::from(1u8));
        assert_eq!(big(&from_montgomery(&pow_g(&[0; 5]))), BigUint::from(1u8));
        assert_eq!(
            big(&from_montgomery(&pow_g(&[u64::MAX; 5]))),
            BigUint::from(2u8).modpow(&((BigUint::from(1u8) << 320) - 1u8), &n)
        );
        assert!(is_zero(&reduced(N)));
        assert_eq!(big(&sub_mod(&[0; L], &n_minus_1)), BigUint::from(1u8));
    }
}
