//! OpenSSL's names, which Python prints, for what rustls negotiates: one table of the
//! cipher suites that rustls's `ring` provider has, and the protocol versions.

use rustls::{CipherSuite, ProtocolVersion, SupportedCipherSuite};

/// One cipher suite as `ssl_sock.cipher()` describes it: OpenSSL's name, the TLS version
/// that defined it, and its secret bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    pub rustls: CipherSuite,
    pub openssl: &'static str,
    pub version: &'static str,
    pub bits: u32,
}

const fn suite(
    rustls: CipherSuite,
    openssl: &'static str,
    version: &'static str,
    bits: u32,
) -> Suite {
    Suite {
        rustls,
        openssl,
        version,
        bits,
    }
}

/// Every suite of rustls's `ring` provider, newest protocol first.
pub static SUITES: &[Suite] = &[
    suite(
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
        "TLSv1.3",
        256,
    ),
    suite(
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        "TLSv1.3",
        128,
    ),
    suite(
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLSv1.3",
        256,
    ),
    suite(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLSv1.2",
        256,
    ),
    suite(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLSv1.2",
        128,
    ),
    suite(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLSv1.2",
        256,
    ),
    suite(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLSv1.2",
        256,
    ),
    suite(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLSv1.2",
        128,
    ),
    suite(
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLSv1.2",
        256,
    ),
];

/// The table's row for a negotiated suite.
pub fn suite_of(negotiated: SupportedCipherSuite) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.rustls == negotiated.suite())
}

/// A protocol version as OpenSSL's `SSL_get_version()` names it: `TLSv1.3`.
pub fn version_name(version: ProtocolVersion) -> String {
    match version {
        ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        ProtocolVersion::TLSv1_1 => "TLSv1.1".into(),
        ProtocolVersion::TLSv1_0 => "TLSv1".into(),
        other => format!("{other:?}"),
    }
}

/// The suites an OpenSSL cipher list picks from `available`, as `set_ciphers()` reads it:
/// names separated by `:`, `,` or spaces; `ALL` and `DEFAULT` pick every suite. As in
/// OpenSSL, the list governs the TLS 1.2 suites and leaves TLS 1.3's alone, unless it
/// names TLS 1.3 suites too (OpenSSL sets those with a second call, `set_ciphersuites`).
/// `Err`: a word that names no suite here, or a list that picks none.
pub fn select(
    list: &str,
    available: &[SupportedCipherSuite],
) -> Result<Vec<SupportedCipherSuite>, String> {
    let mut tls12 = Vec::new();
    let mut tls13 = Vec::new();
    for word in list.split([':', ',', ' ']).filter(|w| !w.is_empty()) {
        if word == "ALL" || word == "DEFAULT" {
            tls12.extend(SUITES.iter().filter(|s| s.version == "TLSv1.2"));
            continue;
        }
        let Some(suite) = SUITES.iter().find(|s| s.openssl == word) else {
            let known: Vec<&str> = SUITES.iter().map(|s| s.openssl).collect();
            return Err(format!(
                "no cipher can be selected: {word:?} is not ALL, DEFAULT or one of {}",
                known.join(" ")
            ));
        };
        if suite.version == "TLSv1.3" {
            tls13.push(suite);
        } else {
            tls12.push(suite);
        }
    }
    if tls13.is_empty() {
        tls13.extend(SUITES.iter().filter(|s| s.version == "TLSv1.3"));
    }
    if tls12.is_empty() && list.split([':', ',', ' ']).all(|w| w.is_empty()) {
        return Err("no cipher can be selected: the list is empty".into());
    }
    let picked: Vec<SupportedCipherSuite> = available
        .iter()
        .filter(|a| tls12.iter().chain(&tls13).any(|s| s.rustls == a.suite()))
        .copied()
        .collect();
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_of_the_provider_has_a_name() {
        let provider = crate::provider();
        assert_eq!(provider.cipher_suites.len(), SUITES.len());
        for s in &provider.cipher_suites {
            assert!(suite_of(*s).is_some(), "{:?}", s.suite());
        }
    }

    #[test]
    fn a_cipher_list_is_read_as_openssl_reads_it() {
        let all = crate::provider().cipher_suites;
        assert_eq!(select("ALL", &all).unwrap().len(), all.len());
        let one = select("ECDHE-ECDSA-AES256-GCM-SHA384", &all).unwrap();
        // The TLS 1.3 suites stay, as set_ciphers() leaves them.
        assert_eq!(one.len(), 4);
        let only13 = select("TLS_AES_128_GCM_SHA256", &all).unwrap();
        assert_eq!(only13.len(), 1);
        let error = select("NOSUCHCIPHER", &all).unwrap_err();
        assert!(error.starts_with("no cipher can be selected"), "{error}");
        assert!(select("", &all).is_err());
        assert_eq!(version_name(ProtocolVersion::TLSv1_3), "TLSv1.3");
    }
}
