//! Changing the session type: every change either migrates or is refused as
//! a schema mismatch (FORMAT.md §4, §11), never misread.

use core::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use sealed_session::{ConfigError, Fingerprint, OpenError, SchemaError, SessionConfig};

use crate::support::{builder, clock, only, pair};

/// A `Cookie` header carrying `data` sealed by `config` as a session.
fn cookie_of<T>(config: &SessionConfig, data: T) -> String
where
    T: Serialize + DeserializeOwned + 'static,
{
    let mut session = config.new_session::<T>();
    session.insert(data);
    let response = session.finish().unwrap();
    let (name, value) = pair(only(&response));
    format!("{name}={value}")
}

/// `old` sealed as `Old`: without a migration, a `New` session refuses it as
/// a schema mismatch and sends nothing (the cookie may belong to a peer
/// server of the other version); with `migrate`, it loads as `expected`, is
/// sealed again as `New` in that response, and the new cookie then opens as
/// `New` directly and is refused by an `Old` server.
fn check_change<Old, New>(old: Old, migrate: fn(Old) -> New, expected: &New)
where
    Old: Serialize + DeserializeOwned + Clone + 'static,
    New: Serialize + DeserializeOwned + PartialEq + Debug + 'static,
{
    let what = core::any::type_name::<New>();
    assert_ne!(
        Fingerprint::of::<Old>().unwrap(),
        Fingerprint::of::<New>().unwrap(),
        "{what}: the change must show in the fingerprint"
    );
    let c = clock();
    let v1 = builder(&c).build().unwrap();
    let cookie = cookie_of(&v1, old.clone());

    // No migration: a typed refusal, a new session, no removal.
    let plain = builder(&c).build().unwrap();
    let session = plain.load::<New, _>(Some(&cookie));
    assert!(session.get().is_none(), "{what}: misread");
    assert!(session.is_new(), "{what}");
    assert_eq!(
        session.load_error(),
        Some(&OpenError::SchemaMismatch),
        "{what}"
    );
    assert!(session.finish().unwrap().is_empty(), "{what}");

    // With the migration: converted, used, sealed again as the new type.
    let v2 = builder(&c).with_migration(migrate).build().unwrap();
    let session = v2.load::<New, _>(Some(&cookie));
    assert_eq!(session.load_error(), None, "{what}");
    assert_eq!(session.get(), Some(expected), "{what}");
    assert!(session.is_migrated(), "{what}");
    let id = session.meta().unwrap().session_id().clone();
    let response = session.finish().unwrap();
    let (name, value) = pair(only(&response));
    let resealed = format!("{name}={value}");
    let again = v2.load::<New, _>(Some(&resealed));
    assert_eq!(again.get(), Some(expected), "{what}");
    assert!(!again.is_migrated(), "{what}: sealed as the new type");
    assert!(
        again.meta().unwrap().session_id().ct_eq(&id),
        "{what}: same session"
    );

    // Rollback: the old server refuses the new cookie.
    let back = v1.load::<Old, _>(Some(&resealed));
    assert!(back.get().is_none(), "{what}: rollback misread");
    assert_eq!(
        back.load_error(),
        Some(&OpenError::SchemaMismatch),
        "{what}"
    );
}

mod reorder {
    use super::*;
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Data")]
    pub(super) struct Old {
        pub(super) user_id: u64,
        pub(super) org_id: u64,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct New {
        pub(super) org_id: u64,
        pub(super) user_id: u64,
    }
}

#[test]
fn reordering_two_fields_of_one_type() {
    use reorder::{New, Old};
    check_change(
        Old {
            user_id: 7,
            org_id: 9,
        },
        |o| New {
            org_id: o.org_id,
            user_id: o.user_id,
        },
        &New {
            org_id: 9,
            user_id: 7,
        },
    );
}

mod rename {
    use super::*;
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Data")]
    pub(super) struct Old {
        pub(super) user: u64,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct New {
        pub(super) user_id: u64,
    }
}

#[test]
fn renaming_a_field() {
    use rename::{New, Old};
    check_change(
        Old { user: 7 },
        |o| New { user_id: o.user },
        &New { user_id: 7 },
    );
}

mod widen {
    use super::*;
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Data")]
    pub(super) struct Old {
        pub(super) visits: u32,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct New {
        pub(super) visits: u64,
    }
}

#[test]
fn widening_u32_to_u64() {
    use widen::{New, Old};
    check_change(
        Old { visits: 3 },
        |o| New {
            visits: u64::from(o.visits),
        },
        &New { visits: 3 },
    );
}

mod add {
    use super::*;
    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct Old {
        pub(super) user_id: u64,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct New {
        pub(super) user_id: u64,
        pub(super) admin: bool,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct WithOption {
        pub(super) user_id: u64,
        #[serde(default)]
        pub(super) theme: Option<String>,
    }
}

#[test]
fn adding_a_field() {
    use add::{New, Old};
    check_change(
        Old { user_id: 7 },
        |o| New {
            user_id: o.user_id,
            admin: false,
        },
        &New {
            user_id: 7,
            admin: false,
        },
    );
}

#[test]
fn adding_an_option_field_with_a_default() {
    use add::{Old, WithOption};
    check_change(
        Old { user_id: 7 },
        |o| WithOption {
            user_id: o.user_id,
            theme: None,
        },
        &WithOption {
            user_id: 7,
            theme: None,
        },
    );
}

#[test]
fn removing_a_field() {
    use add::Old;
    // The reverse of adding one.
    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    #[serde(rename = "Data")]
    struct Before {
        user_id: u64,
        admin: bool,
    }
    check_change(
        Before {
            user_id: 7,
            admin: true,
        },
        |b| Old { user_id: b.user_id },
        &Old { user_id: 7 },
    );
}

mod variant {
    use super::*;
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Role")]
    pub(super) enum OldRole {
        Reader,
        Admin,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Role")]
    pub(super) enum NewRole {
        Reader,
        Editor,
        Admin,
    }
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Data")]
    pub(super) struct Old {
        pub(super) roles: Vec<OldRole>,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct New {
        pub(super) roles: Vec<NewRole>,
    }
}

#[test]
fn adding_an_enum_variant_inside_a_sequence() {
    use variant::{New, NewRole, Old, OldRole};
    // Index 1 was Admin and would now read as Editor.
    check_change(
        Old {
            roles: vec![OldRole::Admin, OldRole::Reader],
        },
        |o| New {
            roles: o
                .roles
                .into_iter()
                .map(|r| match r {
                    OldRole::Reader => NewRole::Reader,
                    OldRole::Admin => NewRole::Admin,
                })
                .collect(),
        },
        &New {
            roles: vec![NewRole::Admin, NewRole::Reader],
        },
    );
}

mod nested {
    use super::*;
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Profile")]
    pub(super) struct OldProfile {
        pub(super) name: String,
        pub(super) age: u8,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Profile")]
    pub(super) struct NewProfile {
        pub(super) name: String,
        pub(super) year_of_birth: u8,
    }
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Data")]
    pub(super) struct Old {
        pub(super) profile: Option<OldProfile>,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct New {
        pub(super) profile: Option<NewProfile>,
    }
}

#[test]
fn changing_a_nested_struct() {
    use nested::{New, NewProfile, Old, OldProfile};
    check_change(
        Old {
            profile: Some(OldProfile {
                name: "ada".into(),
                age: 36,
            }),
        },
        |o| New {
            profile: o.profile.map(|p| NewProfile {
                name: p.name,
                year_of_birth: 200u8.wrapping_sub(p.age),
            }),
        },
        &New {
            profile: Some(NewProfile {
                name: "ada".into(),
                year_of_birth: 164,
            }),
        },
    );
}

mod serde_rename {
    use super::*;
    #[derive(Serialize, Deserialize, Clone)]
    #[serde(rename = "Data")]
    pub(super) struct Old {
        pub(super) user_id: u64,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct New {
        #[serde(rename = "uid")]
        pub(super) user_id: u64,
    }
    /// A Rust rename that keeps the serde name changes nothing.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct Same {
        #[serde(rename = "user_id")]
        pub(super) uid: u64,
    }
}

#[test]
fn a_serde_rename() {
    use serde_rename::{New, Old, Same};
    check_change(
        Old { user_id: 7 },
        |o| New { user_id: o.user_id },
        &New { user_id: 7 },
    );
    // Renaming in Rust only, keeping the serde name, is a safe change.
    assert_eq!(Fingerprint::of::<Old>(), Fingerprint::of::<Same>());
    let c = clock();
    let config = builder(&c).build().unwrap();
    let cookie = cookie_of(&config, Old { user_id: 7 });
    let session = config.load::<Same, _>(Some(&cookie));
    assert_eq!(session.get(), Some(&Same { uid: 7 }));
}

mod generations {
    use super::*;
    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct V1 {
        pub(super) user: String,
    }
    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct V2 {
        pub(super) user: String,
        pub(super) visits: u32,
    }
    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    #[serde(rename = "Data")]
    pub(super) struct V3 {
        pub(super) user: String,
        pub(super) visits: u64,
        pub(super) admin: bool,
    }
}

#[test]
fn migrations_compose_across_generations() {
    use generations::{V1, V2, V3};
    let c = clock();
    let v1 = builder(&c).build().unwrap();
    let v2 = builder(&c)
        .with_migration(|o: V1| V2 {
            user: o.user,
            visits: 0,
        })
        .build()
        .unwrap();
    let old = cookie_of(&v1, V1 { user: "ada".into() });
    let middle = cookie_of(
        &v2,
        V2 {
            user: "bob".into(),
            visits: 4,
        },
    );
    // The v3 release keeps both steps, listed in any order.
    let v3 = builder(&c)
        .with_migration(|o: V2| V3 {
            user: o.user,
            visits: u64::from(o.visits) + 1,
            admin: false,
        })
        .with_migration(|o: V1| V2 {
            user: o.user,
            visits: 0,
        })
        .build()
        .unwrap();
    let from_v1 = v3.load::<V3, _>(Some(&old));
    assert!(from_v1.is_migrated());
    assert_eq!(
        from_v1.get(),
        Some(&V3 {
            user: "ada".into(),
            visits: 1,
            admin: false
        })
    );
    let from_v2 = v3.load::<V3, _>(Some(&middle));
    assert_eq!(
        from_v2.get(),
        Some(&V3 {
            user: "bob".into(),
            visits: 5,
            admin: false
        })
    );
    // A chain that does not reach the asked type is refused.
    let session = v3.load::<V2, _>(Some(&old));
    assert!(session.is_migrated());
    assert_eq!(
        session.get(),
        Some(&V2 {
            user: "ada".into(),
            visits: 0
        })
    );
    let v3_only = builder(&c)
        .with_migration(|o: V2| V3 {
            user: o.user,
            visits: u64::from(o.visits),
            admin: false,
        })
        .build()
        .unwrap();
    let session = v3_only.load::<V3, _>(Some(&old));
    assert_eq!(session.load_error(), Some(&OpenError::SchemaMismatch));
    assert!(session.get().is_none());
}

#[test]
fn a_flash_survives_a_migration() {
    use generations::{V1, V2};
    let c = clock();
    let v1 = builder(&c).build().unwrap();
    let mut session = v1.new_session::<V1>();
    session.insert(V1 { user: "ada".into() });
    session.set_flash("welcome").unwrap();
    let (name, value) = {
        let response = session.finish().unwrap();
        let (n, v) = pair(only(&response));
        (n.to_owned(), v.to_owned())
    };
    let v2 = builder(&c)
        .with_migration(|o: V1| V2 {
            user: o.user,
            visits: 0,
        })
        .build()
        .unwrap();
    let mut session = v2.load::<V2, _>(Some(format!("{name}={value}")));
    assert_eq!(
        session.take_flash::<String>().unwrap().as_deref(),
        Some("welcome")
    );
}

#[test]
fn ambiguous_or_untraceable_migrations_are_refused_when_built() {
    use generations::{V1, V2};
    let c = clock();
    let twice = builder(&c)
        .with_migration(|o: V1| V2 {
            user: o.user,
            visits: 0,
        })
        .with_migration(|o: V1| V2 {
            user: o.user,
            visits: 1,
        })
        .build();
    assert_eq!(twice.err(), Some(ConfigError::AmbiguousMigration));
    let to_itself = builder(&c).with_migration(|o: V1| o).build();
    assert_eq!(to_itself.err(), Some(ConfigError::AmbiguousMigration));

    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    #[serde(untagged)]
    enum Loose {
        Number(u64),
        Text(String),
    }
    let untraceable = builder(&c)
        .with_migration(|o: Loose| V1 {
            user: format!("{o:?}"),
        })
        .build();
    assert_eq!(
        untraceable.err(),
        Some(ConfigError::UnsupportedType(SchemaError::SelfDescribing))
    );
}

/// An address that must contain `@`: it refuses the trace's placeholder
/// (an empty string), so it has no traced fingerprint.
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
#[serde(try_from = "String", into = "String")]
struct Email(String);

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.contains('@') {
            Ok(Self(s))
        } else {
            Err("not an address")
        }
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

#[test]
fn an_untraceable_type_needs_a_schema_name() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut session = config.new_session::<Email>();
    session.insert(Email("ada@example.com".into()));
    assert_eq!(
        session.finish().err(),
        Some(sealed_session::SealError::UnsupportedType(
            SchemaError::Rejected
        ))
    );
    let named = builder(&c)
        .with_schema_name::<Email>("email v1")
        .build()
        .unwrap();
    let cookie = cookie_of(&named, Email("ada@example.com".into()));
    assert_eq!(
        named.load::<Email, _>(Some(&cookie)).get(),
        Some(&Email("ada@example.com".into()))
    );
    // Another name is another type.
    let renamed = builder(&c)
        .with_schema_name::<Email>("email v2")
        .build()
        .unwrap();
    let session = renamed.load::<Email, _>(Some(&cookie));
    assert_eq!(session.load_error(), Some(&OpenError::SchemaMismatch));
    // A configuration without the name cannot open it at all.
    let session = config.load::<Email, _>(Some(&cookie));
    assert_eq!(
        session.load_error(),
        Some(&OpenError::UnsupportedType(SchemaError::Rejected))
    );
    // A migration from the named type to a traced one.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Account {
        email: String,
    }
    let next = builder(&c)
        .with_schema_name::<Email>("email v1")
        .with_migration(|e: Email| Account { email: e.0 })
        .build()
        .unwrap();
    let session = next.load::<Account, _>(Some(&cookie));
    assert_eq!(
        session.get(),
        Some(&Account {
            email: "ada@example.com".into()
        })
    );
}
