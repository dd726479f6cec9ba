//! Terraform's hash functions: a digest of a string's UTF-8 bytes (or of a file's bytes, for
//! the `file...` forms), in hexadecimal or base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest;

/// Hash `name` (`md5`, `sha1`, `sha256`, `sha512`, `base64sha256`, `base64sha512`) of `bytes`.
pub(super) fn hash(name: &str, bytes: &[u8]) -> String {
    match name {
        "md5" => hex(&md5::Md5::digest(bytes)),
        "sha1" => hex(&sha1::Sha1::digest(bytes)),
        "sha256" => hex(&sha2::Sha256::digest(bytes)),
        "sha512" => hex(&sha2::Sha512::digest(bytes)),
        "base64sha256" => STANDARD.encode(sha2::Sha256::digest(bytes)),
        _ => STANDARD.encode(sha2::Sha512::digest(bytes)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
