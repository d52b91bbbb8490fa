//! Flash messages: set during one request, read exactly once on a following
//! one, typed, and not sent again once read.

use sealed_session::{OpenError, SessionConfig};
use serde::{Deserialize, Serialize};

use crate::support::{config, removed, set_names, stored, Jar, NAME};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Notice {
    level: Level,
    text: String,
    fields: Vec<String>,
}

fn notice() -> Notice {
    Notice {
        level: Level::Warning,
        text: "check the form".to_owned(),
        fields: vec!["email".to_owned(), "name".to_owned()],
    }
}

/// A jar whose session holds `data` and the flash `message`.
fn with_flash(config: &SessionConfig, data: Option<u32>, message: &str) -> Jar {
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(config);
    if let Some(data) = data {
        session.insert(data);
    }
    session.set_flash(message).unwrap();
    let response = jar.finish(session);
    assert_eq!(set_names(&response), [NAME], "a flash saves the session");
    jar
}

#[test]
fn a_flash_is_read_exactly_once() {
    let (_, config) = config(|b| b);
    for data in [Some(5), None] {
        let mut jar = with_flash(&config, data, "saved");
        let mut session = jar.load::<u32>(&config);
        assert_eq!(session.get(), data.as_ref());
        assert!(session.has_flash());
        assert_eq!(session.take_flash::<String>(), Ok(Some("saved".to_owned())));
        assert!(!session.has_flash());
        assert_eq!(
            session.take_flash::<String>(),
            Ok(None),
            "twice in one request"
        );
        let response = jar.finish(session);
        assert_eq!(
            set_names(&response),
            [NAME],
            "read: sealed again without it"
        );
        let mut session = jar.load::<u32>(&config);
        assert!(!session.has_flash());
        assert_eq!(session.take_flash::<String>(), Ok(None));
        assert_eq!(session.get(), data.as_ref());
        assert!(jar.finish(session).is_empty(), "nothing left to change");
    }
}

#[test]
fn a_flash_is_not_readable_in_the_request_that_sets_it() {
    let (_, config) = config(|b| b);
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(&config);
    session.set_flash("later").unwrap();
    assert!(!session.has_flash());
    assert_eq!(session.take_flash::<String>(), Ok(None));
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.take_flash::<String>(), Ok(Some("later".to_owned())));
}

#[test]
fn reading_a_flash_reseals_without_it() {
    let (_, config) = config(|b| b);
    let mut jar = with_flash(&config, Some(9), "x");
    let before = jar.get(NAME).unwrap().to_owned();
    let mut session = jar.load::<u32>(&config);
    let id = session.meta().unwrap().session_id().clone();
    let issued = session.meta().unwrap().issued_at();
    assert!(!session.is_modified());
    assert_eq!(session.take_flash::<String>(), Ok(Some("x".to_owned())));
    assert!(session.is_modified());
    let response = jar.finish(session);
    let cookies = stored(&response);
    assert_eq!(cookies.len(), 1);
    assert_ne!(cookies[0].1, before);
    assert!(
        cookies[0].1.len() < before.len(),
        "the flash bytes are gone"
    );
    let session = jar.load::<u32>(&config);
    assert!(
        session.meta().unwrap().session_id().ct_eq(&id),
        "same session"
    );
    assert_eq!(session.meta().unwrap().issued_at(), issued);
    assert_eq!(session.get(), Some(&9));
    assert!(!session.has_flash());
    // The old cookie, replayed, still holds the flash: state lives in the
    // cookie (see the replay notes in the documentation).
    let replay = config.load::<u32, _>([format!("{NAME}={before}")]);
    assert!(replay.has_flash());
}

#[test]
fn an_unread_flash_survives_unrelated_requests() {
    let (_, config) = config(|b| b);
    let mut jar = with_flash(&config, Some(1), "hello");
    // A request that neither reads nor changes anything sends nothing.
    let session = jar.load::<u32>(&config);
    assert!(session.has_flash());
    assert!(jar.finish(session).is_empty());
    // A request that changes the data keeps the flash.
    let mut session = jar.load::<u32>(&config);
    *session.get_mut().unwrap() = 2;
    assert_eq!(set_names(&jar.finish(session)), [NAME]);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.get(), Some(&2));
    assert_eq!(session.take_flash::<String>(), Ok(Some("hello".to_owned())));
}

#[test]
fn flashes_are_typed() {
    let (_, config) = config(|b| b);
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(&config);
    session.set_flash(&notice()).unwrap();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.take_flash::<Notice>(), Ok(Some(notice())));
    jar.finish(session);
    // Other shapes round-trip too.
    let mut session = jar.load::<u32>(&config);
    session
        .set_flash(&vec![(1u8, Level::Info), (2, Level::Error)])
        .unwrap();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(
        session.take_flash::<Vec<(u8, Level)>>(),
        Ok(Some(vec![(1, Level::Info), (2, Level::Error)]))
    );
}

#[test]
fn a_flash_of_the_wrong_type_is_a_mismatch_and_removed() {
    let (_, config) = config(|b| b);
    // (what was set, read it as the wrong type)
    type Check = fn(&mut sealed_session::Session<u32>) -> Result<(), OpenError>;
    let cases: [(&str, Check); 4] = [
        ("string as u64", |s| s.take_flash::<u64>().map(|_| ())),
        ("string as notice", |s| s.take_flash::<Notice>().map(|_| ())),
        ("string as bool", |s| s.take_flash::<bool>().map(|_| ())),
        ("string as unit", |s| s.take_flash::<()>().map(|_| ())),
    ];
    for (what, read_wrong) in cases {
        let mut jar = with_flash(&config, Some(3), "a plain string message");
        let mut session = jar.load::<u32>(&config);
        assert_eq!(
            read_wrong(&mut session),
            Err(OpenError::PayloadMismatch),
            "{what}"
        );
        assert!(!session.has_flash(), "{what}");
        assert_eq!(session.take_flash::<String>(), Ok(None), "{what}: removed");
        assert_eq!(set_names(&jar.finish(session)), [NAME], "{what}");
        let mut session = jar.load::<u32>(&config);
        assert_eq!(session.get(), Some(&3), "{what}: data kept");
        assert_eq!(session.take_flash::<String>(), Ok(None), "{what}");
    }
    // A notice read as a string.
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(&config);
    session.set_flash(&notice()).unwrap();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(
        session.take_flash::<String>(),
        Err(OpenError::PayloadMismatch)
    );
    jar.finish(session);
    assert!(!jar.load::<u32>(&config).has_flash());
}

#[test]
fn a_new_flash_replaces_a_pending_one() {
    let (_, config) = config(|b| b);
    let mut jar = with_flash(&config, Some(1), "first");
    let mut session = jar.load::<u32>(&config);
    session.set_flash("second").unwrap();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(
        session.take_flash::<String>(),
        Ok(Some("second".to_owned()))
    );
    // Read one, set the next in the same request.
    session.set_flash("third").unwrap();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.take_flash::<String>(), Ok(Some("third".to_owned())));
    jar.finish(session);
    assert!(!jar.load::<u32>(&config).has_flash());
}

#[test]
fn a_flash_set_after_regenerate_survives_and_a_pending_one_only_renew() {
    let (_, config) = config(|b| b);
    // Set together with the regenerate (a login's "welcome").
    let mut jar = with_flash(&config, Some(1), "unused");
    let mut session = jar.load::<u32>(&config);
    assert_eq!(
        session.take_flash::<String>(),
        Ok(Some("unused".to_owned()))
    );
    let old_id = session.meta().unwrap().session_id().clone();
    session.regenerate();
    session.set_flash("welcome").unwrap();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert!(
        !session.meta().unwrap().session_id().ct_eq(&old_id),
        "new id"
    );
    assert_eq!(
        session.take_flash::<String>(),
        Ok(Some("welcome".to_owned()))
    );
    jar.finish(session);
    // Pending from an earlier request and not read: renew carries it
    // over; regenerate starts over without it.
    let mut jar = with_flash(&config, Some(1), "pending");
    let mut renewed = jar.clone();
    let mut session = renewed.load::<u32>(&config);
    session.renew();
    renewed.finish(session);
    let mut session = renewed.load::<u32>(&config);
    assert_eq!(
        session.take_flash::<String>(),
        Ok(Some("pending".to_owned()))
    );
    assert_eq!(session.get(), Some(&1));
    let mut session = jar.load::<u32>(&config);
    session.regenerate();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.take_flash::<String>(), Ok(None));
    assert_eq!(session.get(), None);
}

#[test]
fn destroy_drops_the_flash_and_a_later_flash_starts_a_new_session() {
    let (_, config) = config(|b| b);
    // Set, then destroyed in the same request: gone.
    let mut jar = with_flash(&config, Some(1), "pending");
    let mut session = jar.load::<u32>(&config);
    session.set_flash("lost").unwrap();
    session.destroy();
    assert!(!session.has_flash());
    assert_eq!(session.take_flash::<String>(), Ok(None));
    assert_eq!(removed(&jar.finish(session)), [NAME]);
    assert!(jar.names().is_empty());
    // Destroyed, then a flash ("you have been logged out"): a new session
    // that carries only the flash.
    let mut jar = with_flash(&config, Some(1), "pending");
    let mut session = jar.load::<u32>(&config);
    let old_id = session.meta().unwrap().session_id().clone();
    session.destroy();
    session.set_flash("logged out").unwrap();
    let response = jar.finish(session);
    assert_eq!(set_names(&response), [NAME]);
    assert!(removed(&response).is_empty());
    let mut session = jar.load::<u32>(&config);
    assert!(session.get().is_none(), "no data");
    assert!(
        !session.meta().unwrap().session_id().ct_eq(&old_id),
        "new id"
    );
    assert_eq!(
        session.take_flash::<String>(),
        Ok(Some("logged out".to_owned()))
    );
}

#[test]
fn a_large_flash_is_chunked_and_reading_it_removes_the_chunks() {
    let (_, config) = config(|b| b.with_chunking(3));
    let big = "m".repeat(8500);
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(&config);
    session.insert(1);
    session.set_flash(&big).unwrap();
    jar.finish(session);
    assert_eq!(
        jar.names(),
        [NAME.to_owned(), format!("{NAME}.1"), format!("{NAME}.2")]
    );
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.take_flash::<String>(), Ok(Some(big)));
    let response = jar.finish(session);
    assert_eq!(set_names(&response), [NAME]);
    assert_eq!(
        removed(&response),
        [format!("{NAME}.1"), format!("{NAME}.2")]
    );
    let session = jar.load::<u32>(&config);
    assert_eq!(session.get(), Some(&1));
    assert!(!session.has_flash());
}
