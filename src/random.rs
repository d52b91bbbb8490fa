//! The one place the crate asks for random bytes.
//!
//! Every key, session id and nonce comes straight from the operating
//! system's CSPRNG (`getrandom(2)` on Linux), one call per seal: a new
//! session draws its 16-byte id and its 24-byte nonce together.
//!
//! A user-space generator (a per-thread ChaCha20 seeded from the system)
//! would save most of that call, but a repeated nonce under one key is
//! catastrophic for XChaCha20-Poly1305 (it reveals the XOR of two plaintexts
//! and the Poly1305 key, hence forgeries), and user-space state is duplicated
//! by events this crate cannot see without `unsafe` code:
//!
//! - `fork()`: noticing it means asking for the process id on every draw,
//!   itself a system call (glibc has not cached it since 2.25), so it saves
//!   only part of the cost; and a child that inherits a generator without
//!   using it can hand it to a grandchild that gets its grandparent's old
//!   process id back after reuse;
//! - a snapshot of a virtual machine or process restored more than once
//!   (Firecracker, serverless snapshot start, CRIU): every clone continues
//!   with the same state, and no process id changes. The kernel's generator
//!   is reseeded on such events (VM generation id); a user-space one is not.
//!
//! PERFORMANCE.md has the measurements behind this choice.

use rand_core::TryRng as _;

/// Fills `dest` from the operating system's CSPRNG.
pub(crate) fn fill(dest: &mut [u8]) -> Result<(), ()> {
    getrandom::SysRng.try_fill_bytes(dest).map_err(|_| ())
}
