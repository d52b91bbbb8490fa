//! The one place the crate asks for random bytes.

use rand_core::TryRng as _;

/// Fills `dest` from the operating system's CSPRNG.
pub(crate) fn fill(dest: &mut [u8]) -> Result<(), ()> {
    getrandom::SysRng.try_fill_bytes(dest).map_err(|_| ())
}
