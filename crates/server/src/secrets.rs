//! The deployment's secrets and files, kept out of the database and unreadable to others.
//!
//! The key of the ID-number fingerprints (HMAC) comes from the configuration
//! (`LIVINGCIRCLE_PII_KEY`) or from the key file [`KEY_FILE`] in the data directory, created
//! with mode 0600 on first start. A copy of the database alone then cannot turn a masked ID
//! number back into the full one by trying the few possible numbers. A key that an older
//! version kept in the database (`settings.pii_fingerprint_key`) is moved to the key file and
//! removed from the database; a key file written first makes that safe to interrupt.
//! The data directory is created 0700, the SQLite database and its WAL files are 0600.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use lc_store::Store;

/// Name of the fingerprint key file in the data directory.
pub const KEY_FILE: &str = "pii-fingerprint.key";
/// The setting where older versions kept the key.
pub const LEGACY_SETTING: &str = "pii_fingerprint_key";

/// Why the secrets could not be readied.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// A file or directory could not be read, written or protected.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The key is too short or not hexadecimal.
    #[error("the fingerprint key from {0} must be at least 32 hexadecimal characters")]
    BadKey(String),
    /// The credit certificate signing key file does not hold 64 hexadecimal characters.
    #[error(
        "the credit certificate signing key in {0} must be 64 hexadecimal characters (32 bytes)"
    )]
    BadSigningKey(String),
    /// The key given differs from the one the database's fingerprints were made with.
    #[error("the fingerprint key from {0} differs from the one stored in the database; the stored fingerprints were made with that one")]
    Mismatch(String),
    /// The database holds fingerprints but no key was found for them.
    #[error("the database holds ID-number fingerprints but there is no key file {0} and no LIVINGCIRCLE_PII_KEY; restore the key file (or set the variable) made for this database")]
    Missing(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] lc_store::StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` (and its parents) if missing; a directory made here is 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), SecretError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(io(dir))
}

/// Sets a file's mode to 0600 (owner read and write only), if it exists.
pub fn make_private(path: &Path) -> Result<(), SecretError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o777 != 0o600 => {
                fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io(path))?
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(path)(e)),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates an empty file with mode 0600 unless it exists (so SQLite never makes it with
/// the umask's mode).
pub fn touch_private(path: &Path) -> Result<(), SecretError> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map_err(io(path))?;
    make_private(path)
}

/// The SQLite file, and its WAL and shared-memory files, mode 0600.
pub fn protect_sqlite(db: &Path) -> Result<(), SecretError> {
    make_private(db)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        make_private(Path::new(&p))?;
    }
    Ok(())
}

/// Whether any stored record carries an ID-number fingerprint.
async fn holds_fingerprints(store: &Store) -> Result<bool, SecretError> {
    let n: i64 = lc_store::sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM residents WHERE id_number_hash > '') + (SELECT COUNT(*) FROM practitioners WHERE id_number_hash > '')",
    )
    .fetch_one(store.pool())
    .await
    .map_err(lc_store::StoreError::from)?;
    Ok(n > 0)
}

fn valid_key(k: &str) -> bool {
    k.len() >= 32 && k.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Writes a new key file: created exclusively with mode 0600, synced.
fn write_key_file(path: &Path, key: &str) -> Result<(), SecretError> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(io(path))?;
    f.write_all(key.as_bytes()).map_err(io(path))?;
    f.write_all(b"\n").map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    Ok(())
}

/// The fingerprint key in force: from `configured` (the environment), else the key file in
/// `data_dir` (made on first start, from the database's legacy key if there is one). The
/// legacy key is removed from the database once the key is safely elsewhere.
pub async fn fingerprint_key(
    store: &Store,
    data_dir: &Path,
    configured: Option<&str>,
) -> Result<String, SecretError> {
    let legacy = store.setting(LEGACY_SETTING).await?;
    let key = match configured.map(str::trim) {
        Some(k) => {
            if !valid_key(k) {
                return Err(SecretError::BadKey("LIVINGCIRCLE_PII_KEY".into()));
            }
            if legacy.as_deref().is_some_and(|l| l != k) {
                return Err(SecretError::Mismatch("LIVINGCIRCLE_PII_KEY".into()));
            }
            k.to_string()
        }
        None => {
            create_private_dir(data_dir)?;
            let path = data_dir.join(KEY_FILE);
            match fs::read_to_string(&path) {
                Ok(text) => {
                    make_private(&path)?;
                    let k = text.trim().to_string();
                    if !valid_key(&k) {
                        return Err(SecretError::BadKey(path.display().to_string()));
                    }
                    if legacy.as_deref().is_some_and(|l| l != k) {
                        return Err(SecretError::Mismatch(path.display().to_string()));
                    }
                    k
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if legacy.is_none() && holds_fingerprints(store).await? {
                        return Err(SecretError::Missing(path.display().to_string()));
                    }
                    let k = legacy
                        .clone()
                        .unwrap_or_else(|| crate::auth::random_hex(32));
                    write_key_file(&path, &k)?;
                    if legacy.is_some() {
                        tracing::warn!(
                            file = %path.display(),
                            "moved the ID-number fingerprint key out of the database into the key file"
                        );
                    }
                    k
                }
                Err(e) => return Err(io(&path)(e)),
            }
        }
    };
    if legacy.is_some() {
        store.delete_setting(LEGACY_SETTING).await?;
    }
    Ok(key)
}

/// Name of the credit certificate signing key file in the data directory.
pub const SIGNING_KEY_FILE: &str = "credit-signing.key";

/// The Ed25519 key that signs the housekeeping credit certificate QR tokens
/// (`lc_credit::token`), with its key id and public key. Scanners verify offline with the
/// public key the server publishes (`GET /api/public/credit-keys`).
#[derive(Clone)]
pub struct SigningKey {
    /// The 32 secret bytes.
    pub secret: [u8; 32],
    /// The key id tokens name: `k` and 8 base64url characters of the public key's SHA-256, so
    /// a new key file gets a new id.
    pub key_id: String,
    /// The 32-byte Ed25519 public key.
    pub public: [u8; 32],
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .field("secret", &"<hidden>")
            .finish()
    }
}

impl SigningKey {
    /// The key of 32 secret bytes.
    pub fn from_secret(secret: [u8; 32]) -> SigningKey {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let public = lc_credit::token::verifying_key(&secret);
        let digest = Sha256::digest(public);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        SigningKey {
            secret,
            key_id: format!("k{}", &b64[..8]),
            public,
        }
    }
}

/// The signing key from the key file [`SIGNING_KEY_FILE`] in `data_dir` (64 hexadecimal
/// characters), created with mode 0600 from the operating system's random source on first
/// start, like the fingerprint key.
pub fn signing_key(data_dir: &Path) -> Result<SigningKey, SecretError> {
    create_private_dir(data_dir)?;
    let path = data_dir.join(SIGNING_KEY_FILE);
    let hex = match fs::read_to_string(&path) {
        Ok(text) => {
            make_private(&path)?;
            text.trim().to_string()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let k = crate::auth::random_hex(32);
            write_key_file(&path, &k)?;
            k
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let bad = || SecretError::BadSigningKey(path.display().to_string());
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut secret = [0u8; 32];
    for (i, b) in secret.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(SigningKey::from_secret(secret))
}

#[cfg(test)]
mod signing_tests {
    use super::*;

    #[test]
    fn the_signing_key_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let a = signing_key(&data).unwrap();
        let b = signing_key(&data).unwrap();
        assert_eq!((a.secret, &a.key_id), (b.secret, &b.key_id));
        assert_eq!(a.key_id.len(), 9);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(data.join(SIGNING_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(data.join(SIGNING_KEY_FILE), "not a key\n").unwrap();
        assert!(matches!(
            signing_key(&data),
            Err(SecretError::BadSigningKey(_))
        ));
    }
}
