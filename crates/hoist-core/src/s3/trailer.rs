//! Sending a file body aws-chunked with its CRC32C as a trailer
//! (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`), so the file is read once instead of twice.
//! The SDK would frame such bodies itself, but copies every 64 KiB chunk and, over
//! http, signs each one (SHA-256 of every byte): the framing here is Hoist's own
//! ([`super::body`]), zero-copy, and this interceptor only sets the headers and the
//! signature's payload mode. Which stores take it is learned per store
//! ([`super::learned`]).

use aws_runtime::auth::PayloadSigningOverride;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::body::CRC32C_TRAILER;

/// Marks a request whose body is framed aws-chunked with a CRC32C trailer:
/// `decoded_len` is the data's length without the framing.
#[derive(Debug)]
pub(crate) struct TrailingChecksum {
    pub(crate) decoded_len: u64,
}

impl Intercept for TrailingChecksum {
    fn name(&self) -> &'static str {
        "HoistTrailingChecksum"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        headers.insert("content-encoding", "aws-chunked");
        headers.insert("x-amz-decoded-content-length", self.decoded_len.to_string());
        headers.insert("x-amz-trailer", CRC32C_TRAILER);
        cfg.interceptor_state()
            .store_put(PayloadSigningOverride::StreamingUnsignedPayloadTrailer);
        Ok(())
    }
}
