//! The session layer's record (FORMAT.md §11): what [`Session`](crate::Session)
//! seals as its payload, shared by the session and by the migrations the
//! configuration holds.

use core::any::Any;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::OpenError;

/// What the session layer seals: the application's data and a pending flash
/// message (postcard bytes of the application's flash type).
#[derive(Serialize)]
pub(crate) struct RecordRef<'a, T> {
    pub(crate) data: Option<&'a T>,
    pub(crate) flash: Option<&'a [u8]>,
}

#[derive(Deserialize)]
pub(crate) struct Record<T> {
    pub(crate) data: Option<T>,
    pub(crate) flash: Option<Vec<u8>>,
}

/// Data of an earlier session type, on its way to the current one.
pub(crate) type AnyData = Box<dyn Any>;

/// Decodes a record sealed as the earlier session type `Old`: its data,
/// boxed for the migrations that convert it, and its flash.
pub(crate) fn decode_old<Old: DeserializeOwned + 'static>(
    bytes: &[u8],
) -> Result<(Option<AnyData>, Option<Vec<u8>>), OpenError> {
    let record = crate::seal::decode_exact::<Record<Old>>(bytes)?;
    Ok((record.data.map(|d| Box::new(d) as AnyData), record.flash))
}
