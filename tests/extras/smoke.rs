use sealed_session::*;
use std::time::Duration;

fn cookie_header(set: &[String]) -> String {
    set.iter()
        .filter(|c| !c.contains("Max-Age=0"))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn smoke_chunking() {
    let clock = FixedClock::new(UnixSeconds::new(1_800_000_000));
    let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate()))
        .with_clock(clock.clone())
        .with_chunking(3)
        .build()
        .unwrap();
    let mut s = config.new_session::<Vec<u8>>();
    s.insert(vec![7u8; 7000]);
    let r = s.finish().unwrap();
    assert_eq!(r.set_cookie_headers().len(), 3, "{:?}", r);
    for c in r.set_cookie_headers() {
        let nv = c.split(';').next().unwrap();
        assert!(nv.len() <= 4097);
    }
    let h = cookie_header(r.set_cookie_headers());
    let mut s = config.load::<Vec<u8>, _>(Some(h.as_str()));
    assert_eq!(s.get().map(Vec::len), Some(7000), "{:?}", s.load_error());
    s.insert(vec![1u8; 10]);
    let r = s.finish().unwrap();
    assert_eq!(r.set_cookie_headers().len(), 3);
    assert!(r.set_cookie_headers()[1].starts_with("__Host-session.1=; Max-Age=0"));
    // too big
    let mut s = config.new_session::<Vec<u8>>();
    s.insert(vec![7u8; 20000]);
    match s.finish() {
        Err(SealError::TooLarge { actual, limit }) => assert!(actual > limit),
        o => panic!("{o:?}"),
    }
    let _ = Duration::from_secs(1);
}

#[test]
fn smoke_csrf_flash() {
    let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate()))
        .build()
        .unwrap();
    let mut s = config.new_session::<u32>();
    let t = s.csrf_token().unwrap();
    s.set_flash("saved").unwrap();
    let h = cookie_header(s.finish().unwrap().set_cookie_headers());
    let mut s = config.load::<u32, _>(Some(h.as_str()));
    assert_eq!(s.verify_csrf(&t), Ok(()));
    assert_eq!(s.take_flash::<String>().unwrap().as_deref(), Some("saved"));
    let h2 = cookie_header(s.finish().unwrap().set_cookie_headers());
    let mut s = config.load::<u32, _>(Some(h2.as_str()));
    assert_eq!(s.take_flash::<String>().unwrap(), None);
    s.regenerate();
    assert_eq!(s.verify_csrf(&t), Err(CsrfError::Mismatch));
    let t2 = s.csrf_token().unwrap();
    assert_eq!(s.verify_csrf(&t2), Ok(()));
    assert_eq!(s.verify_csrf(&t), Err(CsrfError::Mismatch));
}
