//! The deployment package: a zip holding one executable, `bootstrap`, as Lambda's OS-only
//! runtimes (`provided.al2023`) expect.
//!
//! [`zip_bootstrap`] makes a reproducible archive (fixed timestamp, mode 0755), so the same
//! binary always gives the same bytes and the same `CodeSha256`, and a redeploy of unchanged
//! code is recognised as unchanged. [`inspect`] reads an archive back and finds the
//! architecture the function must be created with.

use std::io::{Cursor, Read, Write};

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The entry Lambda runs.
pub const BOOTSTRAP: &str = "bootstrap";
/// Lambda refuses zips larger than this in a direct upload.
const MAX_DIRECT_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

/// The instruction set of the binary, as Lambda names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl Architecture {
    /// Lambda's name: `x86_64` or `arm64`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Arm64 => "arm64",
        }
    }

    pub(crate) fn to_lambda(self) -> aws_sdk_lambda::types::Architecture {
        match self {
            Self::X86_64 => aws_sdk_lambda::types::Architecture::X8664,
            Self::Arm64 => aws_sdk_lambda::types::Architecture::Arm64,
        }
    }

    /// The architecture of an ELF executable, from its header.
    pub fn of_elf(header: &[u8]) -> Option<Self> {
        const EM_X86_64: u16 = 62;
        const EM_AARCH64: u16 = 183;
        if header.len() < 20 || &header[..4] != b"\x7fELF" {
            return None;
        }
        // e_machine at offset 18, in the byte order given at offset 5 (1 = little endian).
        let machine = match header[5] {
            1 => u16::from_le_bytes([header[18], header[19]]),
            2 => u16::from_be_bytes([header[18], header[19]]),
            _ => return None,
        };
        match machine {
            EM_X86_64 => Some(Self::X86_64),
            EM_AARCH64 => Some(Self::Arm64),
            _ => None,
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`inspect`] found in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInfo {
    pub architecture: Architecture,
    /// Uncompressed size of `bootstrap`.
    pub bootstrap_size: u64,
    /// Base64 SHA-256 of the zip, as Lambda reports it in `CodeSha256`.
    pub code_sha256: String,
}

/// A package Lambda could not run.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("the lambda package is not a valid zip archive: {0}")]
    NotZip(String),
    #[error(
        "the lambda package has no `bootstrap` entry: build it with `cargo xtask package-lambda`"
    )]
    NoBootstrap,
    #[error(
        "`bootstrap` in the lambda package is not executable (mode {mode:o}): Lambda could not start it; rebuild it with `cargo xtask package-lambda`"
    )]
    NotExecutable { mode: u32 },
    #[error("`bootstrap` in the lambda package is not an x86_64 or arm64 Linux executable")]
    NotElf,
    #[error("the lambda package is {size} bytes: Lambda accepts at most 50 MiB in a direct upload")]
    TooLarge { size: usize },
    #[error("cannot write the lambda package: {0}")]
    Write(String),
}

/// Zips `binary` as `bootstrap`, mode 0755, with a fixed timestamp: the same binary always
/// gives the same bytes.
pub fn zip_bootstrap(binary: &[u8]) -> Result<Vec<u8>, BundleError> {
    let write_err = |e: &dyn std::fmt::Display| BundleError::Write(e.to_string());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o755);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .start_file(BOOTSTRAP, options)
        .map_err(|e| write_err(&e))?;
    writer.write_all(binary).map_err(|e| write_err(&e))?;
    let zip = writer.finish().map_err(|e| write_err(&e))?.into_inner();
    Ok(zip)
}

/// Checks that `zip` is a package Lambda can run and tells its architecture.
pub fn inspect(zip: &[u8]) -> Result<BundleInfo, BundleError> {
    if zip.len() > MAX_DIRECT_UPLOAD_BYTES {
        return Err(BundleError::TooLarge { size: zip.len() });
    }
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| BundleError::NotZip(e.to_string()))?;
    let mut entry = match archive.by_name(BOOTSTRAP) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Err(BundleError::NoBootstrap),
        Err(e) => return Err(BundleError::NotZip(e.to_string())),
    };
    let mode = entry.unix_mode().unwrap_or(0);
    if mode & 0o111 == 0 {
        return Err(BundleError::NotExecutable { mode });
    }
    let bootstrap_size = entry.size();
    let mut header = Vec::with_capacity(64);
    entry
        .by_ref()
        .take(64)
        .read_to_end(&mut header)
        .map_err(|e| BundleError::NotZip(e.to_string()))?;
    let architecture = Architecture::of_elf(&header).ok_or(BundleError::NotElf)?;
    Ok(BundleInfo {
        architecture,
        bootstrap_size,
        code_sha256: code_sha256(zip),
    })
}

/// Base64 SHA-256 of the package, as Lambda computes `CodeSha256`.
pub fn code_sha256(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(zip))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 20 bytes of an ELF64 little-endian executable for `machine`, then padding.
    fn elf(machine: u16) -> Vec<u8> {
        let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        bytes.extend_from_slice(&machine.to_le_bytes());
        bytes.extend_from_slice(&[0xAB; 4000]);
        bytes
    }

    #[test]
    fn zip_is_reproducible_and_inspectable() {
        let binary = elf(62);
        let a = zip_bootstrap(&binary).unwrap();
        let b = zip_bootstrap(&binary).unwrap();
        assert_eq!(a, b, "same binary, same bytes");
        assert!(a.len() < binary.len(), "compressed");
        let info = inspect(&a).unwrap();
        assert_eq!(info.architecture, Architecture::X86_64);
        assert_eq!(info.bootstrap_size, binary.len() as u64);
        assert_eq!(info.code_sha256, code_sha256(&a));
        assert_ne!(zip_bootstrap(&elf(183)).unwrap(), a);
        assert_eq!(
            inspect(&zip_bootstrap(&elf(183)).unwrap())
                .unwrap()
                .architecture,
            Architecture::Arm64
        );

        let mut archive = zip::ZipArchive::new(Cursor::new(&a)).unwrap();
        let entry = archive.by_name(BOOTSTRAP).unwrap();
        assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
    }

    #[test]
    fn code_sha256_is_lambdas_format() {
        // Lambda reports base64(SHA-256(zip)).
        assert_eq!(
            code_sha256(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn packages_lambda_could_not_run_are_refused() {
        assert!(matches!(inspect(b"not a zip"), Err(BundleError::NotZip(_))));

        let write = |name: &str, mode: u32, data: &[u8]| {
            let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
            w.start_file(name, options).unwrap();
            w.write_all(data).unwrap();
            w.finish().unwrap().into_inner()
        };
        assert!(matches!(
            inspect(&write("main", 0o755, &elf(62))),
            Err(BundleError::NoBootstrap)
        ));
        assert!(matches!(
            inspect(&write(BOOTSTRAP, 0o644, &elf(62))),
            Err(BundleError::NotExecutable { mode: 0o100644 }
                | BundleError::NotExecutable { mode: 0o644 })
        ));
        assert!(matches!(
            inspect(&write(BOOTSTRAP, 0o755, b"#!/bin/sh\necho hi\n")),
            Err(BundleError::NotElf)
        ));
        assert!(matches!(
            inspect(&write(BOOTSTRAP, 0o755, &elf(40))), // ARM 32-bit
            Err(BundleError::NotElf)
        ));
    }

    #[test]
    fn elf_header_parsing() {
        assert_eq!(Architecture::of_elf(&elf(62)), Some(Architecture::X86_64));
        assert_eq!(Architecture::of_elf(&elf(62)[..19]), None);
        let mut big_endian = elf(0);
        big_endian[5] = 2;
        big_endian[18..20].copy_from_slice(&183u16.to_be_bytes());
        assert_eq!(Architecture::of_elf(&big_endian), Some(Architecture::Arm64));
    }
}
