//! Python's `ssl` loaders, on rustls's PEM reader: `load_verify_locations(cafile)`,
//! `load_default_certs()` and `load_cert_chain(certfile)`. Each failure is one line that
//! names the file.

use std::path::Path;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificates a context trusts, and every certificate the file held, for the
/// counts that `cert_store_stats()` prints.
pub struct Roots {
    pub store: RootCertStore,
    pub loaded: Vec<CertificateDer<'static>>,
}

/// `load_verify_locations(cafile)`: every certificate in a PEM file (text around the
/// blocks is skipped, as OpenSSL skips it).
pub fn verify_locations(cafile: &Path) -> Result<Roots, String> {
    let shown = cafile.display();
    let loaded = CertificateDer::pem_file_iter(cafile)
        .map_err(|e| format!("cannot read the CA file {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot read the CA file {shown}: {e}"))?;
    roots(loaded, &format!("the CA file {shown}"))
}

/// `load_default_certs()`: the system's store, as `rustls-native-certs` finds it (on
/// Linux, the bundle that `SSL_CERT_FILE` or the distribution names).
pub fn default_certs() -> Result<Roots, String> {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty()
        && let Some(error) = found.errors.first()
    {
        return Err(format!("cannot load the system's certificates: {error}"));
    }
    roots(found.certs, "the system's store")
}

fn roots(loaded: Vec<CertificateDer<'static>>, what: &str) -> Result<Roots, String> {
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(loaded.iter().cloned());
    if added == 0 {
        return Err(format!("{what} holds no certificate that can be trusted"));
    }
    Ok(Roots { store, loaded })
}

/// `load_cert_chain(certfile)`: the certificates of a PEM file, then its private key
/// (PKCS#8, PKCS#1 or SEC1), as Python reads both from one file.
pub fn cert_chain(
    certfile: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let shown = certfile.display();
    let chain = CertificateDer::pem_file_iter(certfile)
        .map_err(|e| format!("cannot read the certificate file {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot read the certificate file {shown}: {e}"))?;
    if chain.is_empty() {
        return Err(format!("{shown} holds no certificate"));
    }
    let key = PrivateKeyDer::from_pem_file(certfile).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            format!("{shown} holds a certificate but no private key")
        }
        e => format!("cannot read the private key in {shown}: {e}"),
    })?;
    Ok((chain, key))
}
