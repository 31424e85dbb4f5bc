//! Many threads at once, as on a phone: the UI thread writing while a sync worker
//! drains. Nothing is lost, nothing is taken twice, per-record order holds, and no
//! caller sees SQLITE_BUSY.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use common::*;
use cordon_core::*;

const WRITERS: usize = 8;
const ROUNDS: usize = 40;

#[test]
fn eight_writers_and_a_draining_worker_lose_and_duplicate_nothing() {
    let f = Fixture::new().with_assignment();
    let store = Arc::new(f.store);
    // The drainer has its own connection to the same file, as a sync worker in another
    // process (the command-line tool, say) would.
    let drainer_store = Store::open_with_clock(f.dir.path().join("cordon.db"), f.clock.clone())
        .expect("second handle");
    let writing = Arc::new(AtomicBool::new(true));

    let drainer = {
        let writing = writing.clone();
        thread::spawn(move || -> Result<Vec<OutboxOperation>> {
            let mut drained = Vec::new();
            let limits = BatchLimits {
                max_operations: 25,
                max_bytes: 64 * 1024,
            };
            loop {
                let still_writing = writing.load(Ordering::SeqCst);
                let batch = drainer_store.take_batch(limits)?;
                if batch.is_empty() && !still_writing {
                    return Ok(drained);
                }
                drainer_store.acknowledge(&seqs(&batch))?;
                drained.extend(batch);
            }
        })
    };

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            thread::spawn(move || -> Result<(usize, Vec<String>)> {
                let mut ops = 0;
                let mut reports = Vec::new();
                for round in 0..ROUNDS {
                    let kind = if round % 10 == 9 {
                        CheckInKind::Duress
                    } else {
                        CheckInKind::Welfare
                    };
                    store.record_check_in(check_in(kind))?;
                    ops += 1;
                    if round % 4 == w % 4 {
                        let r = store.create_report(incident())?;
                        store.submit_report(&r.id)?;
                        store.amend_report(
                            &r.id,
                            NewAmendment {
                                author: format!("W{w}"),
                                reason: "detail".into(),
                                patch: IncidentPatch {
                                    injuries: Some("None".into()),
                                    ..Default::default()
                                },
                            },
                        )?;
                        ops += 3;
                        reports.push(r.id);
                    }
                }
                Ok((ops, reports))
            })
        })
        .collect();

    let mut written = 0;
    let mut reports = Vec::new();
    for w in writers {
        let (ops, ids) = w
            .join()
            .expect("writer panicked")
            .expect("writer got an error");
        written += ops;
        reports.extend(ids);
    }
    writing.store(false, Ordering::SeqCst);
    let drained = drainer
        .join()
        .expect("drainer panicked")
        .expect("drainer got an error");

    let unique: HashSet<_> = drained.iter().map(|o| o.id.clone()).collect();
    assert_eq!(unique.len(), drained.len(), "an operation was taken twice");
    assert_eq!(drained.len(), written, "operations lost");
    assert!(store.queued_operations().unwrap().is_empty());
    // Every report's operations arrived in the order they were written.
    let mut by_report: HashMap<&str, Vec<(i64, OperationKind)>> = HashMap::new();
    for op in &drained {
        by_report
            .entry(&op.record_id)
            .or_default()
            .push((op.seq, op.kind));
    }
    for id in &reports {
        let ops = &by_report[id.as_str()];
        let kinds: Vec<_> = ops.iter().map(|(_, k)| *k).collect();
        assert_eq!(
            kinds,
            [
                OperationKind::ReportCreate,
                OperationKind::ReportSubmit,
                OperationKind::ReportAmend
            ],
            "report {id}"
        );
        assert!(ops.windows(2).all(|w| w[0].0 < w[1].0));
    }
    assert_eq!(store.check_ins(None).unwrap().len(), WRITERS * ROUNDS);
}

/// An app and its widget (or extension) on one database: the second handle opening,
/// reading and syncing leaves alone what the first has in flight, so nothing is sent
/// twice; what a handle that is gone had in flight is sent again.
#[test]
fn a_second_handle_leaves_the_first_handles_operations_in_flight_until_it_is_gone() {
    let f = Fixture::new().with_assignment();
    let path = f.db_path();
    for _ in 0..5 {
        f.check_in(CheckInKind::Welfare);
    }
    let app = f.store;
    let sending = app.take_batch(ALL).unwrap();
    assert_eq!(sending.len(), 5);

    // The widget opens the same file while the app's request is out.
    let widget = Store::open_with_clock(&path, f.clock.clone()).unwrap();
    assert_eq!(widget.outbox_status().unwrap().in_flight.total(), 5);
    assert!(widget.take_batch(ALL).unwrap().is_empty(), "taken twice");
    widget.release_in_flight().unwrap();
    drop(widget);
    let again = Store::open_with_clock(&path, f.clock.clone()).unwrap();
    assert_eq!(again.outbox_status().unwrap().in_flight.total(), 5);
    drop(again);

    // The app's answer arrives and settles its own batch.
    let applied: Vec<_> = sending
        .iter()
        .map(|o| (o.seq, Outcome::Acknowledged))
        .collect();
    app.settle(&applied).unwrap();
    assert_eq!(app.outbox_status().unwrap().in_flight.total(), 0);

    // The app takes more, then goes (killed or dropped mid-request): the next handle
    // sends them again.
    let c = app.record_check_in(check_in(CheckInKind::Duress)).unwrap();
    let lost = app.take_batch(ALL).unwrap();
    assert_eq!(record_ids(&lost), std::slice::from_ref(&c.id));
    drop(app);
    let next = Store::open_with_clock(&path, f.clock.clone()).unwrap();
    assert_eq!(record_ids(&next.take_batch(ALL).unwrap()), [c.id]);
    drop(next);

    // No lease outlives its handle.
    let mut leases = path.file_name().unwrap().to_os_string();
    leases.push(".leases");
    let left: Vec<_> = std::fs::read_dir(path.with_file_name(leases))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
