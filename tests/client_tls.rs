//! The SOAP client over HTTPS: a TLS terminator with a test CA and a server certificate it issued
//! stands in front of `ecapi serve`. The client trusts it with `--ca-cert`, refuses it without,
//! and accepts anything with `--insecure`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::*;
use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::client::{Http, HttpOptions, Transport, TransportError};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// A test CA's certificate (PEM) and a TLS listener, presenting a certificate that CA issued for
/// 127.0.0.1, that forwards every connection to `backend`.
struct Tls {
    addr: SocketAddr,
    ca_pem: String,
    _runtime: tokio::runtime::Runtime,
}

fn tls_in_front_of(backend: SocketAddr) -> Tls {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake; nothing to forward.
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                if let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    Tls {
        addr,
        ca_pem: ca.pem(),
        _runtime: runtime,
    }
}

fn status_request() -> Request {
    Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "3")
}

#[test]
fn the_client_trusts_a_server_whose_ca_is_given_with_ca_cert() {
    let server = serve(ApiVersion::V7_1);
    let tls = tls_in_front_of(server.addr());
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &tls.ca_pem).unwrap();

    let mut options = HttpOptions::new(format!("https://{}/WebAPI/ECAPI.svc", tls.addr));
    options.ca_cert = Some(ca);
    let mut http = Http::connect(options).expect("the client connects over TLS");
    assert!(
        http.describe().contains("contract from https://"),
        "the WSDL was read over TLS: {}",
        http.describe()
    );
    let answer = http.call(&status_request()).unwrap();
    assert_eq!(answer.response.code, 100);
    assert_eq!(answer.response.status.as_deref(), Some("NOT RECORDING"));
}

#[test]
fn without_its_ca_the_client_refuses_the_server_and_says_what_to_do() {
    let server = serve(ApiVersion::V7_1);
    let tls = tls_in_front_of(server.addr());
    let options = HttpOptions::new(format!("https://{}/WebAPI/ECAPI.svc", tls.addr));
    let err = match Http::connect(options) {
        Err(e) => e,
        Ok(mut http) => http.call(&status_request()).unwrap_err(),
    };
    match &err {
        TransportError::Tls { detail, .. } => {
            assert!(detail.contains("UnknownIssuer"), "{detail}");
            assert!(detail.contains("--ca-cert FILE"), "{detail}");
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[test]
fn insecure_accepts_any_certificate() {
    let server = serve(ApiVersion::V7_1);
    let tls = tls_in_front_of(server.addr());
    let mut options = HttpOptions::new(format!("https://{}/WebAPI/ECAPI.svc", tls.addr));
    options.insecure = true;
    let mut http = Http::connect(options).unwrap();
    assert_eq!(http.call(&status_request()).unwrap().response.code, 100);
}
