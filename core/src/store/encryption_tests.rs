//! Encrypting a plaintext store, interrupted after each of its steps: the store is then
//! the old plaintext one or the new encrypted one, never neither, with its queue intact.

use std::sync::Arc;

use crate::crypto::StoreKey;
use crate::error::CordonError;
use crate::model::{CheckInKind, NewCheckIn};
use crate::sqlite::{fail_migration_after, MigrationStep};
use crate::store::{Store, StoreOptions};
use crate::time::{ManualClock, Timestamp};

fn options(key: Option<u8>) -> StoreOptions {
    StoreOptions {
        clock: Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000))),
        key: key.map(|b| StoreKey::from_bytes(&[b; 32]).unwrap()),
        ..StoreOptions::default()
    }
}

fn queue(store: &Store) -> Vec<(i64, String, String)> {
    store
        .queued_operations()
        .unwrap()
        .into_iter()
        .map(|o| (o.seq, o.id, o.record_id))
        .collect()
}

#[test]
fn a_migration_that_stops_after_any_step_leaves_one_whole_store() {
    for step in [
        MigrationStep::LogFolded,
        MigrationStep::CopyWritten,
        MigrationStep::Renamed,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cordon.db");
        let store = Store::open_with_options(&db, options(None)).unwrap();
        for _ in 0..3 {
            store
                .record_check_in(NewCheckIn {
                    kind: CheckInKind::Duress,
                    assignment_id: None,
                    occurred_at: None,
                    time_zone: "Europe/London".into(),
                    location: None,
                    tag_id: None,
                    note: Some("CODENAME-OSPREY".into()),
                })
                .unwrap();
        }
        let queued = queue(&store);
        drop(store);

        fail_migration_after(Some(step));
        let err = Store::open_with_options(&db, options(Some(1))).unwrap_err();
        fail_migration_after(None);
        assert!(
            matches!(&err, CordonError::Storage { detail } if detail.contains("injected")),
            "{step:?}: {err:?}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".encrypting"))
            .collect();
        assert_eq!(leftovers, Vec::<String>::new(), "{step:?}");

        if step == MigrationStep::Renamed {
            // The encrypted store is in place: the plaintext one is gone.
            let err = Store::open_with_options(&db, options(None)).unwrap_err();
            assert!(
                matches!(err, CordonError::WrongKey { .. }),
                "{step:?}: {err:?}"
            );
        } else {
            // The plaintext store is as it was.
            let store = Store::open_with_options(&db, options(None)).unwrap();
            assert!(!store.is_encrypted());
            assert_eq!(queue(&store), queued, "{step:?}");
        }
        // Either way the key opens it (encrypting it now if that did not happen).
        let store = Store::open_with_options(&db, options(Some(1))).unwrap();
        assert_eq!(queue(&store), queued, "{step:?}");
        drop(store);
        let bytes = std::fs::read(&db).unwrap();
        assert!(
            !bytes.windows(15).any(|w| w == b"CODENAME-OSPREY"),
            "{step:?}"
        );
    }
}
