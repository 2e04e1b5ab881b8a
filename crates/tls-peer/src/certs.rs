//! Certificates that every side accepts, made with rcgen (keys are ECDSA P-256: ring
//! cannot make RSA keys):
//!
//! - the CA has critical basicConstraints (`CA:TRUE`) and keyUsage, and a subject key
//!   identifier: Python 3.13's strict checking wants all three;
//! - the leaf names `localhost` and `127.0.0.1` in its subjectAltName (rustls never falls
//!   back to the common name), carries an authority key identifier (Python 3.13 again),
//!   and may serve as a server or a client certificate.
//!
//! A leaf file holds the certificate and then its PKCS#8 key, as Python's
//! `load_cert_chain()` and rustls both read it; it is readable by its owner only.

use std::fs;
use std::io::Write;
use std::path::Path;

use conformance::tls::files;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};

/// A certificate authority: its certificate, and what signs with it.
pub struct Ca {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A fresh CA named `name`.
    pub fn new(name: &str) -> Result<Self, String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().map_err(err)?;
        let pem = params.self_signed(&key).map_err(err)?.pem();
        Ok(Self {
            pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// A leaf for `names` (DNS names, or IP addresses as text), its certificate then its
    /// key, as one PEM text; `expired`: valid only in the year 2000.
    pub fn leaf(&self, names: &[&str], expired: bool) -> Result<String, String> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).map_err(err)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        if expired {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().map_err(err)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(err)?;
        Ok(format!("{}{}", cert.pem(), key.serialize_pem()))
    }
}

fn err(e: rcgen::Error) -> String {
    format!("cannot make a certificate: {e}")
}

/// The names of a good leaf.
pub const NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// `ca.crt` and `localhost.pem` in `dir`: what `cargo xtask certs` writes.
pub fn write_pair(dir: &Path) -> Result<(), String> {
    let ca = Ca::new("fopnp example CA")?;
    write(dir, files::CA, &ca.pem, false)?;
    write(dir, files::LEAF, &ca.leaf(&NAMES, false)?, true)
}

/// Every file of [`conformance::tls::files`] in `dir`: the pair, a second CA with a leaf
/// of its own, a leaf for `localhost` only, and an expired leaf.
pub fn write_cases(dir: &Path) -> Result<(), String> {
    let ca = Ca::new("fopnp example CA")?;
    write(dir, files::CA, &ca.pem, false)?;
    write(dir, files::LEAF, &ca.leaf(&NAMES, false)?, true)?;
    write(
        dir,
        files::NAME_ONLY,
        &ca.leaf(&["localhost"], false)?,
        true,
    )?;
    write(dir, files::EXPIRED, &ca.leaf(&NAMES, true)?, true)?;
    let other = Ca::new("another CA")?;
    write(dir, files::OTHER_CA, &other.pem, false)?;
    write(dir, files::OTHER_LEAF, &other.leaf(&NAMES, false)?, true)
}

/// Writes a file; `private`: created readable by its owner only, as a key must be.
fn write(dir: &Path, name: &str, text: &str, private: bool) -> Result<(), String> {
    let path = dir.join(name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = private;
    options
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

    fn der(pem_text: &str) -> Vec<u8> {
        use tlskit::rustls::pki_types::CertificateDer;
        use tlskit::rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(pem_text.as_bytes())
            .unwrap()
            .to_vec()
    }

    #[test]
    fn the_ca_and_the_leaf_have_what_python_3_13_and_rustls_require() {
        let dir = tempfile::tempdir().unwrap();
        write_cases(dir.path()).unwrap();
        let ca_der = der(&fs::read_to_string(dir.path().join(files::CA)).unwrap());
        let (_, ca) = X509Certificate::from_der(&ca_der).unwrap();
        assert_eq!(ca.version().0, 2, "X.509 v3");
        let bc = ca.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        let ku = ca.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.key_cert_sign());
        assert!(
            ca.get_extension_unique(
                &x509_parser::oid_registry::OID_X509_EXT_SUBJECT_KEY_IDENTIFIER
            )
            .unwrap()
            .is_some()
        );

        let leaf_der = der(&fs::read_to_string(dir.path().join(files::LEAF)).unwrap());
        let (_, leaf) = X509Certificate::from_der(&leaf_der).unwrap();
        let san = leaf.subject_alternative_name().unwrap().unwrap();
        let names: Vec<String> = san
            .value
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => d.to_string(),
                GeneralName::IPAddress(ip) => format!("{ip:?}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["localhost", "[127, 0, 0, 1]"]);
        assert!(
            leaf.get_extension_unique(
                &x509_parser::oid_registry::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER
            )
            .unwrap()
            .is_some()
        );
        let eku = leaf.extended_key_usage().unwrap().unwrap();
        assert!(eku.value.server_auth && eku.value.client_auth);
        assert_eq!(leaf.issuer(), ca.subject());

        let expired = der(&fs::read_to_string(dir.path().join(files::EXPIRED)).unwrap());
        let (_, expired) = X509Certificate::from_der(&expired).unwrap();
        assert!(expired.validity().not_after.timestamp() < 1_000_000_000);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for file in [
                files::LEAF,
                files::OTHER_LEAF,
                files::NAME_ONLY,
                files::EXPIRED,
            ] {
                let mode = fs::metadata(dir.path().join(file))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o077, 0, "{file}: {mode:o}");
            }
        }
    }
}
