//! Cookie attributes: exact rendered strings for the defaults and each
//! option, and every rule `SessionConfigBuilder::build` enforces.

use sealed_session::{
    ConfigError, Key, KeyId, Keyring, Rolling, SameSite, SessionConfig, SessionConfigBuilder,
    DEFAULT_COOKIE_NAME, MAX_ATTRIBUTE_VALUE_BYTES, MAX_LIFETIME,
};

use crate::support::{attributes, builder, clock, only, pair, ring, secs, Data};

const REMOVAL_DATE: &str = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";

/// The `Set-Cookie` of a new session that stored data, under `b`.
fn set_cookie(b: SessionConfigBuilder) -> String {
    let config = b.build().unwrap();
    let mut session = config.new_session::<Data>();
    session.insert(Data::user("ada"));
    only(&session.finish().unwrap()).to_owned()
}

/// The removal cookie `destroy` sends for a loaded session under `b`, checked
/// equal to `SessionConfig::removal_cookie`.
fn removal(b: SessionConfigBuilder) -> String {
    let config = b.build().unwrap();
    let mut first = config.new_session::<Data>();
    first.insert(Data::user("ada"));
    let header = only(&first.finish().unwrap()).to_owned();
    let (name, value) = pair(&header);
    let mut session = config.load::<Data, _>(Some(format!("{name}={value}")));
    assert!(!session.is_new(), "{:?}", session.load_error());
    session.destroy();
    let out = only(&session.finish().unwrap()).to_owned();
    assert_eq!(out, config.removal_cookie());
    out
}

fn expect_err(b: SessionConfigBuilder, want: &ConfigError, what: &str) {
    match b.build() {
        Err(err) => assert_eq!(&err, want, "{what}"),
        Ok(config) => panic!("{what}: built {config:?}, expected {want:?}"),
    }
}

fn expect_ok(b: SessionConfigBuilder, what: &str) {
    if let Err(err) = b.build() {
        panic!("{what}: refused with {err:?}");
    }
}

#[test]
fn defaults_render_exactly() {
    let c = clock();
    let header = set_cookie(builder(&c));
    let (name, value) = pair(&header);
    assert_eq!(name, "__Host-session");
    assert_eq!(name, DEFAULT_COOKIE_NAME);
    assert!(value.len() > 100, "{value}");
    assert!(value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        attributes(&header),
        "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(
        removal(builder(&c)),
        format!("__Host-session=; {REMOVAL_DATE}; Path=/; Secure; HttpOnly; SameSite=Lax")
    );
}

#[test]
fn each_option_renders_exactly() {
    let c = clock();
    // (builder, attributes after the value, without the leading Max-Age)
    let cases: Vec<(&str, SessionConfigBuilder, &str, &str)> = vec![
        (
            "absolute ttl",
            builder(&c).with_absolute_ttl(secs(3600)),
            "__Host-session",
            "; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "domain",
            builder(&c)
                .with_cookie_name("__Secure-sid")
                .with_domain("example.com"),
            "__Secure-sid",
            "; Max-Age=86400; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "path",
            builder(&c).with_cookie_name("sid").with_path("/app"),
            "sid",
            "; Max-Age=86400; Path=/app; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "strict",
            builder(&c).with_same_site(SameSite::Strict),
            "__Host-session",
            "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Strict",
        ),
        (
            "none",
            builder(&c).with_same_site(SameSite::None),
            "__Host-session",
            "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=None",
        ),
        (
            "explicit lax",
            builder(&c).with_same_site(SameSite::Lax),
            "__Host-session",
            "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "partitioned",
            builder(&c).with_partitioned(true),
            "__Host-session",
            "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax; Partitioned",
        ),
        (
            "partitioned off again",
            builder(&c).with_partitioned(true).with_partitioned(false),
            "__Host-session",
            "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "insecure",
            builder(&c)
                .with_cookie_name("sid")
                .dangerous_insecure_cookies(),
            "sid",
            "; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax",
        ),
        (
            "script readable",
            builder(&c).dangerous_script_readable_cookies(),
            "__Host-session",
            "; Max-Age=86400; Path=/; Secure; SameSite=Lax",
        ),
        (
            "insecure, script readable, strict",
            builder(&c)
                .with_cookie_name("dev")
                .dangerous_insecure_cookies()
                .dangerous_script_readable_cookies()
                .with_same_site(SameSite::Strict),
            "dev",
            "; Max-Age=86400; Path=/; SameSite=Strict",
        ),
        (
            "everything at once",
            builder(&c)
                .with_cookie_name("app")
                .with_absolute_ttl(secs(60))
                .with_domain(".example.com")
                .with_path("/a/b")
                .dangerous_script_readable_cookies()
                .with_same_site(SameSite::None)
                .with_partitioned(true),
            "app",
            "; Max-Age=60; Domain=.example.com; Path=/a/b; Secure; SameSite=None; Partitioned",
        ),
    ];
    for (what, b, name, attrs) in cases {
        let header = set_cookie(b.clone());
        assert_eq!(pair(&header).0, name, "{what}");
        assert_eq!(attributes(&header), attrs, "{what}");
        // The removal cookie carries the same attributes, Max-Age aside.
        let without_max_age = attrs
            .split_once("; ")
            .unwrap()
            .1
            .split_once("; ")
            .unwrap()
            .1;
        assert_eq!(
            removal(b),
            format!("{name}=; {REMOVAL_DATE}; {without_max_age}"),
            "{what}"
        );
    }
}

#[test]
fn secure_is_off_only_through_the_dangerous_setting() {
    let c = clock();
    // Every builder path without the dangerous setting renders `Secure`.
    for b in [
        builder(&c),
        builder(&c).with_cookie_name("sid"),
        builder(&c)
            .with_cookie_name("sid")
            .with_same_site(SameSite::Strict),
        builder(&c)
            .with_cookie_name("sid")
            .with_domain("example.com"),
        builder(&c).with_save_uninitialized(true).with_resave(true),
    ] {
        let header = set_cookie(b);
        assert!(header.contains("; Secure"), "{header}");
    }
    // And with it, with a name that allows it, `Secure` is gone.
    let header = set_cookie(
        builder(&c)
            .with_cookie_name("sid")
            .dangerous_insecure_cookies(),
    );
    assert!(!header.contains("Secure"), "{header}");
}

#[test]
fn prefix_rules() {
    let c = clock();
    let host = ConfigError::HostPrefixRequirements;
    let secure = ConfigError::SecurePrefixRequiresSecure;
    expect_err(
        builder(&c).with_domain("example.com"),
        &host,
        "default + domain",
    );
    expect_err(builder(&c).with_path("/app"), &host, "default + path");
    expect_err(
        builder(&c).dangerous_insecure_cookies(),
        &host,
        "default insecure",
    );
    for name in ["__Host-x", "__host-x", "__HOST-x", "__hOsT-x"] {
        expect_err(
            builder(&c)
                .with_cookie_name(name)
                .with_domain("example.com"),
            &host,
            name,
        );
        expect_err(
            builder(&c).with_cookie_name(name).with_path("/a"),
            &host,
            name,
        );
        expect_err(
            builder(&c)
                .with_cookie_name(name)
                .dangerous_insecure_cookies(),
            &host,
            name,
        );
        expect_ok(builder(&c).with_cookie_name(name), name);
    }
    for name in ["__Secure-x", "__secure-x", "__SECURE-x"] {
        expect_err(
            builder(&c)
                .with_cookie_name(name)
                .dangerous_insecure_cookies(),
            &secure,
            name,
        );
        expect_ok(
            builder(&c)
                .with_cookie_name(name)
                .with_domain("example.com")
                .with_path("/app"),
            name,
        );
    }
    // Not a prefix: the rule does not apply.
    for name in ["_Host-x", "Host-x", "x__Host-", "__Hostx", "__Secure"] {
        expect_ok(
            builder(&c)
                .with_cookie_name(name)
                .dangerous_insecure_cookies()
                .with_domain("example.com")
                .with_path("/a"),
            name,
        );
    }
    // `Path=/` must be exactly `/`.
    expect_err(builder(&c).with_path("//"), &host, "path //");
    expect_ok(builder(&c).with_path("/"), "path /");
}

#[test]
fn secure_requirements_of_same_site_none_and_partitioned() {
    let c = clock();
    let insecure = || {
        builder(&c)
            .with_cookie_name("sid")
            .dangerous_insecure_cookies()
    };
    expect_err(
        insecure().with_same_site(SameSite::None),
        &ConfigError::SameSiteNoneRequiresSecure,
        "none",
    );
    expect_err(
        insecure().with_partitioned(true),
        &ConfigError::PartitionedRequiresSecure,
        "partitioned",
    );
    expect_ok(insecure().with_same_site(SameSite::Strict), "strict");
    expect_ok(insecure().with_same_site(SameSite::Lax), "lax");
    expect_ok(
        builder(&c)
            .with_same_site(SameSite::None)
            .with_partitioned(true),
        "secure none partitioned",
    );
}

#[test]
fn cookie_names() {
    let c = clock();
    let bad = ConfigError::InvalidCookieName;
    expect_err(builder(&c).with_cookie_name(""), &bad, "empty");
    for sep in "()<>@,;:\\\"/[]?={} \t".chars() {
        for name in [format!("a{sep}b"), format!("{sep}ab"), format!("ab{sep}")] {
            expect_err(builder(&c).with_cookie_name(name.clone()), &bad, &name);
        }
    }
    for control in (0u8..0x20).chain([0x7f]) {
        let name = format!("a{}b", char::from(control));
        expect_err(
            builder(&c).with_cookie_name(name),
            &bad,
            &format!("{control:#x}"),
        );
    }
    for name in ["sé", "名前", "a\u{a0}b", "a\u{2003}b", "\u{feff}sid", "ſid"] {
        expect_err(builder(&c).with_cookie_name(name), &bad, name);
    }
    // Every other printable ASCII character is a token character.
    expect_ok(
        builder(&c).with_cookie_name("!#$%&'*+-.^_`|~09AZaz"),
        "token characters",
    );
    // The name's length is bound as a u16 into every value: the core
    // sealer takes names up to 65535 bytes when its limit allows.
    let long = "a".repeat(65_535);
    let sealer = |name: String| {
        sealed_session::Sealer::builder(Keyring::new(KeyId::new(1), Key::generate()))
            .with_cookie_name(name)
            .with_max_cookie_bytes(100_000)
            .build()
    };
    assert!(sealer(long.clone()).is_ok(), "65535 bytes");
    assert_eq!(
        sealer(long.clone() + "a").err(),
        Some(bad.clone()),
        "65536 bytes"
    );
    // A session cookie is at most 4096 bytes, so such a name cannot fit one.
    expect_err(
        builder(&c).with_cookie_name(long),
        &ConfigError::LimitTooSmall {
            minimum: 65_535 + 132,
        },
        "65535 bytes in a session cookie",
    );
    expect_err(
        builder(&c).with_max_cookie_bytes(4097),
        &ConfigError::LimitTooLarge { maximum: 4096 },
        "over what browsers keep",
    );
}

#[test]
fn domain_values() {
    let c = clock();
    let b = || builder(&c).with_cookie_name("sid");
    let bad = ConfigError::InvalidDomain;
    for domain in [
        "",
        ".",
        "..example.com",
        "a..b",
        "exa mple.com",
        "exämple.com",
        "a;b",
        "example.com\t",
        "\texample.com",
        "a/b",
        "a:80",
        "a=b",
        "a,b",
        "a\"b",
        "a\u{0}b",
        "a\nb",
        "a_b",
    ] {
        expect_err(b().with_domain(domain), &bad, &format!("{domain:?}"));
    }
    for domain in [
        "example.com",
        ".example.com",
        "localhost",
        "a-b.c",
        "EXAMPLE.COM",
        "1.2.3.4",
    ] {
        expect_ok(b().with_domain(domain), domain);
    }
    let max = MAX_ATTRIBUTE_VALUE_BYTES;
    assert_eq!(max, 1024);
    let longest = "a".repeat(max);
    let header = set_cookie(b().with_domain(longest.clone()));
    assert!(
        header.contains(&format!("; Domain={longest}; ")),
        "not truncated"
    );
    expect_err(b().with_domain("a".repeat(max + 1)), &bad, "1025 bytes");
    expect_ok(
        b().with_domain(format!(".{}", "a".repeat(max - 1))),
        "dot + 1023",
    );
    expect_err(
        b().with_domain(format!(".{}", "a".repeat(max))),
        &bad,
        "dot + 1024",
    );
}

#[test]
fn path_values() {
    let c = clock();
    let b = || builder(&c).with_cookie_name("sid");
    let bad = ConfigError::InvalidPath;
    for path in [
        "", "app", " /app", "/a;b", "/a\u{0}", "/a\u{7f}", "/é", "/a\nb", "/a\tb", "/a\rb",
    ] {
        expect_err(b().with_path(path), &bad, &format!("{path:?}"));
    }
    for path in ["/", "/app", "/a/b/", "/a b", "/a,b=c%20?x#y"] {
        expect_ok(b().with_path(path), path);
    }
    let max = MAX_ATTRIBUTE_VALUE_BYTES;
    let longest = format!("/{}", "p".repeat(max - 1));
    let header = set_cookie(b().with_path(longest.clone()));
    assert!(
        header.contains(&format!("; Path={longest}; ")),
        "not truncated"
    );
    expect_err(
        b().with_path(format!("/{}", "p".repeat(max))),
        &bad,
        "1025 bytes",
    );
}

#[test]
fn rolling_percentage() {
    let c = clock();
    for p in [0u8, 100, 101, 255] {
        expect_err(
            builder(&c).with_rolling(Rolling::AfterIdlePercent(p)),
            &ConfigError::InvalidRolling,
            &p.to_string(),
        );
    }
    for p in [1u8, 25, 99] {
        expect_ok(
            builder(&c).with_rolling(Rolling::AfterIdlePercent(p)),
            &p.to_string(),
        );
    }
    expect_ok(
        builder(&c).with_rolling(Rolling::EveryResponse),
        "every response",
    );
    assert_eq!(Rolling::default(), Rolling::AfterIdlePercent(25));
}

#[test]
fn lifetimes() {
    let c = clock();
    let bad = ConfigError::InvalidLifetime;
    let over = MAX_LIFETIME + secs(1);
    expect_err(builder(&c).with_absolute_ttl(secs(0)), &bad, "ttl 0");
    expect_err(
        builder(&c).with_absolute_ttl(std::time::Duration::from_millis(999)),
        &bad,
        "ttl under a second",
    );
    expect_err(builder(&c).with_idle_timeout(secs(0)), &bad, "idle 0");
    expect_err(
        builder(&c).with_absolute_ttl(over),
        &bad,
        "ttl over 100 years",
    );
    expect_err(
        builder(&c).with_idle_timeout(over),
        &bad,
        "idle over 100 years",
    );
    expect_err(
        builder(&c).with_clock_skew(over),
        &bad,
        "skew over 100 years",
    );
    expect_ok(builder(&c).with_absolute_ttl(MAX_LIFETIME), "ttl 100 years");
    expect_ok(builder(&c).with_absolute_ttl(secs(1)), "ttl 1 s");
    expect_ok(builder(&c).with_clock_skew(secs(0)), "skew 0");
    expect_ok(
        builder(&c)
            .with_idle_timeout(secs(0))
            .without_idle_timeout(),
        "idle 0 then none",
    );
    // Sub-second parts are dropped: Max-Age is whole seconds.
    let header = set_cookie(builder(&c).with_absolute_ttl(std::time::Duration::from_millis(1500)));
    assert!(header.contains("; Max-Age=1; "), "{header}");
}

#[test]
fn size_limit_floor() {
    let c = clock();
    // The smallest limit is the name plus the longest possible empty value.
    expect_err(
        builder(&c).with_max_cookie_bytes(145),
        &ConfigError::LimitTooSmall { minimum: 146 },
        "default name",
    );
    expect_ok(
        builder(&c).with_max_cookie_bytes(146),
        "default name at minimum",
    );
    expect_err(
        builder(&c).with_cookie_name("sid").with_max_cookie_bytes(0),
        &ConfigError::LimitTooSmall { minimum: 135 },
        "sid",
    );
    // A configuration at its minimum still carries an empty session.
    let config = builder(&c).with_max_cookie_bytes(146).build().unwrap();
    let mut session = config.new_session::<()>();
    session.insert(());
    let header = only(&session.finish().unwrap()).to_owned();
    let (name, value) = pair(&header);
    assert!(name.len() + value.len() <= 146);
    let loaded = config.load::<(), _>(Some(format!("{name}={value}")));
    assert_eq!(loaded.get(), Some(&()));
}

#[test]
fn configuration_accessors() {
    let c = clock();
    let config: SessionConfig = builder(&c).with_cookie_name("sid").build().unwrap();
    assert_eq!(config.cookie_name(), "sid");
    assert_eq!(config.sealer().cookie_name(), "sid");
    assert_eq!(config.sealer().max_cookie_bytes(), 4096);
    assert_eq!(config.sealer().absolute_ttl(), secs(86_400));
    assert_eq!(config.sealer().idle_timeout(), Some(secs(1800)));
    assert_eq!(config.sealer().clock_skew(), secs(60));
}

/// The setters both builders have set the same thing: a `SessionConfig`
/// built with them holds a `Sealer` equal in every setting to one built
/// directly, and the two open each other's values.
#[test]
fn shared_setters_mean_the_same_on_both_builders() {
    let c = clock();
    let apply_config = |b: SessionConfigBuilder| {
        b.with_cookie_name("__Host-app")
            .with_absolute_ttl(secs(7200))
            .with_idle_timeout(secs(600))
            .with_clock_skew(secs(5))
            .with_not_before(sealed_session::UnixSeconds::new(1_000))
            .with_clock(c.clone())
    };
    let config = apply_config(SessionConfig::builder(ring()))
        .build()
        .unwrap();
    let direct = sealed_session::Sealer::builder(ring())
        .with_cookie_name("__Host-app")
        .with_absolute_ttl(secs(7200))
        .with_idle_timeout(secs(600))
        .with_clock_skew(secs(5))
        .with_not_before(sealed_session::UnixSeconds::new(1_000))
        .with_clock(c.clone())
        .build()
        .unwrap();
    let via = config.sealer();
    assert_eq!(via.cookie_name(), direct.cookie_name());
    assert_eq!(via.absolute_ttl(), direct.absolute_ttl());
    assert_eq!(via.idle_timeout(), direct.idle_timeout());
    assert_eq!(via.clock_skew(), direct.clock_skew());
    assert_eq!(via.not_before(), direct.not_before());
    assert_eq!(via.now(), direct.now());
    let value = direct.seal(&Data::user("ada")).unwrap();
    assert_eq!(via.open::<Data>(&value).unwrap().payload, Data::user("ada"));
    let without = SessionConfig::builder(ring())
        .without_idle_timeout()
        .build()
        .unwrap();
    assert_eq!(without.sealer().idle_timeout(), None);
}
