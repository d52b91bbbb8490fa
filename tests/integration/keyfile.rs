//! Keyring files: reading, the permission check, every refusal, and the
//! file contents of each rotation step.

use std::fs;
use std::path::Path;

use sealed_session::{KeyError, KeyErrorReason, KeyId, Keyring, KeyringSwapError};

use crate::common::{key, ring, sealer, windows, T0};
use crate::files::TempDir;

fn id(n: u32) -> KeyId {
    KeyId::new(n)
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn assert_no_key_text(err: &KeyError, secret: &str) {
    let shown = format!("{err} {err:?}");
    for w in windows(secret, 8) {
        assert!(!shown.contains(&w), "{shown:?} shows key text {w:?}");
    }
}

#[test]
fn a_key_file_round_trips_with_or_without_a_trailing_line_break() {
    let dir = TempDir::new("roundtrip");
    let ring = ring(2, 2).with_old_key(id(1), key(1)).unwrap();
    let contents = ring.to_file_contents();
    assert_eq!(contents.as_str(), format!("{}\n", ring.to_line().as_str()));
    for (name, text) in [
        ("lf", contents.to_string()),
        ("none", ring.to_line().to_string()),
        ("crlf", format!("{}\r\n", ring.to_line().as_str())),
        ("lines", ring.to_line().replace(',', ",\n") + "\n"),
    ] {
        let path = dir.write(name, text.as_bytes());
        let read = Keyring::from_file(&path).unwrap();
        assert_eq!(read.ids().collect::<Vec<_>>(), [id(2), id(1)], "{name}");
        assert_eq!(read.to_line().as_str(), ring.to_line().as_str(), "{name}");
    }
}

#[cfg(unix)]
#[test]
fn a_key_file_others_may_access_is_refused() {
    let dir = TempDir::new("modes");
    let path = dir.write("keys", ring(1, 1).to_file_contents().as_bytes());
    for mode in [
        0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o660, 0o666, 0o777,
    ] {
        chmod(&path, mode);
        assert_eq!(
            Keyring::from_file(&path).err(),
            Some(KeyError::FilePermissions { mode }),
            "{mode:o}"
        );
    }
    let err = KeyError::FilePermissions { mode: 0o644 };
    assert_eq!(
        err.to_string(),
        "keyring file is accessible to group or others (mode 644), expected access for its owner only (chmod 600)"
    );
    for mode in [0o600, 0o400, 0o700] {
        chmod(&path, mode);
        assert!(Keyring::from_file(&path).is_ok(), "{mode:o}");
    }
}

#[test]
fn unreadable_oversized_and_non_text_files_are_refused() {
    let dir = TempDir::new("refusals");
    assert_eq!(
        Keyring::from_file(dir.0.join("missing")).err(),
        Some(KeyError::FileUnreadable {
            kind: std::io::ErrorKind::NotFound
        })
    );
    // A directory cannot be read as a file.
    #[cfg(unix)]
    chmod(&dir.0, 0o700);
    assert!(matches!(
        Keyring::from_file(&dir.0),
        Err(KeyError::FileUnreadable { .. })
    ));

    // 64 KiB is read; one byte more is refused, whatever it holds.
    let line = ring(1, 1).to_line();
    let mut padded = line.as_bytes().to_vec();
    padded.resize(64 * 1024, b' ');
    let at_limit = dir.write("at_limit", &padded);
    assert_eq!(Keyring::from_file(&at_limit).unwrap().primary_id(), id(1));
    padded.push(b' ');
    let over = dir.write("over", &padded);
    assert_eq!(
        Keyring::from_file(&over).err(),
        Some(KeyError::FileTooLarge { limit: 64 * 1024 })
    );

    let mut latin1 = line.as_bytes().to_vec();
    latin1.push(0xE9);
    let not_text = dir.write("latin1", &latin1);
    assert_eq!(
        Keyring::from_file(&not_text).err(),
        Some(KeyError::FileNotUtf8)
    );

    let empty = dir.write("empty", b"\n");
    assert_eq!(
        Keyring::from_file(&empty).err(),
        Some(KeyError::EmptyKeyring)
    );
}

#[test]
fn a_bad_entry_in_a_key_file_is_named_without_key_text() {
    let dir = TempDir::new("entries");
    let good = key(1).to_base64().to_string();
    // A comment is not part of the syntax: it is a malformed entry.
    let commented = dir.write("comment", format!("# keys\n1:{good}\n").as_bytes());
    let err = Keyring::from_file(&commented).unwrap_err();
    assert_eq!(err, KeyError::InvalidKeyId { entry: 1 });
    assert_no_key_text(&err, &good);

    let truncated = &good[..40];
    let short = dir.write("short", format!("1:{good},2:{truncated}").as_bytes());
    let err = Keyring::from_file(&short).unwrap_err();
    assert_eq!(
        err,
        KeyError::InvalidKey {
            entry: 2,
            reason: KeyErrorReason::InvalidLength
        }
    );
    assert_no_key_text(&err, &good);
    assert_no_key_text(&err, truncated);
}

#[test]
fn the_rotation_files_step_a_running_sealer_through_add_promote_drop() {
    let start = ring(1, 1);
    let rotation = start.rotate_to(id(2), key(2)).unwrap();
    let ids = |r: &Keyring| r.ids().collect::<Vec<_>>();
    assert_eq!(ids(rotation.added()), [id(1), id(2)]);
    assert_eq!(ids(rotation.promoted()), [id(2), id(1)]);
    assert_eq!(ids(rotation.dropped()), [id(2)]);
    // Debug shows ids, never key bytes.
    let shown = format!("{rotation:?}");
    assert_eq!(shown.matches("KeyId(2)").count(), 5, "{shown}");
    for seed in [1, 2] {
        for w in windows(key(seed).to_base64().as_str(), 8) {
            assert!(!shown.contains(&w), "{shown}");
        }
    }

    let dir = TempDir::new("rotation");
    let s = sealer(start.clone());
    let under_1 = s.seal_at(&1u32, T0).unwrap();
    // Skipping the promote step would strand key 1, which seals: refused.
    let dropped_file = dir.write("dropped", rotation.dropped().to_file_contents().as_bytes());
    assert_eq!(
        s.replace_keyring(Keyring::from_file(&dropped_file).unwrap()),
        Err(KeyringSwapError::PrimaryMissing { id: id(1) })
    );
    for (n, step) in [rotation.added(), rotation.promoted(), rotation.dropped()]
        .into_iter()
        .enumerate()
    {
        let path = dir.write(&format!("step{n}"), step.to_file_contents().as_bytes());
        s.replace_keyring(Keyring::from_file(&path).unwrap())
            .unwrap();
        assert_eq!(ids(&s.keyring()), ids(step));
    }
    assert!(s.open_at::<u32>(&under_1, T0).is_err());

    // Rotating to an id or a key already in the ring is refused.
    assert_eq!(
        start.rotate_to(id(1), key(9)).err(),
        Some(KeyError::DuplicateId { id: id(1) })
    );
    assert_eq!(
        start.rotate_to(id(3), key(1)).err(),
        Some(KeyError::DuplicateKey { id: id(3) })
    );
    // From a ring with several old keys, the drop step keeps the new one.
    let older = start.with_old_key(id(0), key(0)).unwrap();
    let rotation = older.rotate_to(id(2), key(2)).unwrap();
    assert_eq!(ids(rotation.dropped()), [id(2)]);
    assert_eq!(ids(rotation.promoted()), [id(2), id(1), id(0)]);
}
