//! HTTPS: the server's certificate from PEM files (`--tls-cert`, `--tls-key`), or made here
//! (`--tls-self-signed DIR`) with `rcgen`, and the rustls configuration (ring provider, TLS 1.2
//! and 1.3, HTTP/1.1).
//!
//! `--tls-self-signed DIR` keeps a test CA in `DIR`: `ca.pem` (the certificate a CRM's machine is
//! told to trust) and `ca-key.pem` (its key, readable by the owner only). Both are made on first
//! use and reused after, so a CRM trusts the CA once; each start issues a fresh server
//! certificate from it (`DIR/server.pem`, `DIR/server-key.pem`) for `localhost`, `127.0.0.1`,
//! `::1` and the listen host, valid for the CA's lifetime.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Where the server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A certificate chain and its private key, PEM files.
    Files {
        /// The certificate, then any intermediates.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A test CA kept in this directory and a server certificate it issues at each start.
    SelfSigned(PathBuf),
}

/// The CA's certificate file in a `--tls-self-signed` directory.
pub const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const SERVER_FILE: &str = "server.pem";
const SERVER_KEY_FILE: &str = "server-key.pem";

/// Builds the TLS acceptor. `hosts` are the names and addresses a self-signed server
/// certificate is made for (besides the loopback ones).
///
/// # Errors
/// A file that cannot be read or written, PEM that holds no certificate or key, a key that does
/// not fit the certificate: a message naming the file.
pub fn acceptor(source: &TlsSource, hosts: &[String]) -> Result<TlsAcceptor, String> {
    let (certs, key) = match source {
        TlsSource::Files { cert, key } => (read_certs(cert)?, read_key(key)?),
        TlsSource::SelfSigned(dir) => {
            self_signed(dir, hosts)?;
            (
                read_certs(&dir.join(SERVER_FILE))?,
                read_key(&dir.join(SERVER_KEY_FILE))?,
            )
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("the TLS key does not fit the certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("cannot read the TLS private key {}: {e}", path.display()))
}

/// The test CA's parameters: the same every time, so that a CA rebuilt from its kept key signs
/// certificates that the `ca.pem` written the first time verifies.
fn ca_params() -> Result<CertificateParams, String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "ecapi serve test CA");
    name.push(DnType::OrganizationName, "ecapi");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// Makes (or reuses) the CA in `dir` and issues a server certificate for `hosts`.
fn self_signed(dir: &Path, hosts: &[String]) -> Result<(), String> {
    let at = |file: &str| dir.join(file);
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the directory {}: {e}", dir.display()))?;
    let ca_key = match std::fs::read_to_string(at(CA_KEY_FILE)) {
        Ok(pem) if at(CA_FILE).exists() => KeyPair::from_pem(&pem).map_err(|e| {
            format!(
                "{} is not a key ecapi made ({e}); remove the directory to make a new CA",
                at(CA_KEY_FILE).display()
            )
        })?,
        _ => {
            let key = KeyPair::generate().map_err(|e| e.to_string())?;
            let ca = ca_params()?.self_signed(&key).map_err(|e| e.to_string())?;
            write_private(&at(CA_KEY_FILE), &key.serialize_pem())?;
            write(&at(CA_FILE), &ca.pem())?;
            key
        }
    };
    let ca = ca_params()?
        .self_signed(&ca_key)
        .map_err(|e| e.to_string())?;

    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for host in hosts {
        if !host.is_empty() && !names.contains(host) {
            names.push(host.clone());
        }
    }
    let mut params = CertificateParams::new(names).map_err(|e| e.to_string())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "ecapi serve");
    params.distinguished_name = name;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params
        .signed_by(&key, &ca, &ca_key)
        .map_err(|e| e.to_string())?;
    write_private(&at(SERVER_KEY_FILE), &key.serialize_pem())?;
    write(&at(SERVER_FILE), &cert.pem())?;
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes a private key readable by its owner only (on Unix).
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let source = TlsSource::SelfSigned(dir.path().to_path_buf());
        acceptor(&source, &["crm-staging".to_string()]).unwrap();
        let ca = std::fs::read_to_string(dir.path().join(CA_FILE)).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
        acceptor(&source, &[]).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CA_FILE)).unwrap(),
            ca
        );
    }

    #[test]
    fn a_missing_or_empty_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let err = acceptor(
            &TlsSource::Files {
                cert: empty.clone(),
                key: empty.clone(),
            },
            &[],
        )
        .err()
        .unwrap();
        assert!(err.contains("empty.pem holds no PEM certificate"), "{err}");
        let err = acceptor(
            &TlsSource::Files {
                cert: dir.path().join("nope.pem"),
                key: empty,
            },
            &[],
        )
        .err()
        .unwrap();
        assert!(err.contains("nope.pem"), "{err}");
    }
}
