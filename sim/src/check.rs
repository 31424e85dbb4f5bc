//! The invariants, judged after the network healed and every device drained:
//!
//! 1. **Exactly once**: every write the store acknowledged is on the device and on the
//!    server, once, as the device holds it; the server holds nothing no device wrote.
//! 2. **In order**: a record's operations were applied in `seq` order (each applied
//!    receipt's `server_version` is its rank among the record's applied operations, and
//!    the record's version is their count).
//! 3. **Urgent first** (checked while requests were in flight, by the link): no normal
//!    batch and no attachment chunk left while an alarm was due and waiting.
//! 4. **Reports**: every submitted report's chain verifies on both sides and the head
//!    hashes match; content, amendments and attachments are the same.
//! 5. **Convergence**: attachments complete with every byte; each device holds the
//!    assignment as the office issued it last and every review of its reports.
//! 6. **Nothing stuck**: no operation pending or in flight after healing; no dead letter
//!    (the workload is valid, so one is a lost write), and none without a reason.

use std::collections::{BTreeMap, HashMap, HashSet};

use cordon_core::{OperationState, ReportIntegrity};
use cordon_server::admin;

use crate::world::World;

pub fn all(world: &mut World) -> Vec<String> {
    let mut v = Vec::new();
    let server = world.net.server();
    let stores: Vec<_> = (0..world.devices.len())
        .map(|d| world.store_of(d))
        .collect();
    let device_ids: Vec<String> = stores.iter().map(|s| s.device_id().to_owned()).collect();
    let index_of = |device_id: &str| device_ids.iter().position(|d| d == device_id);

    // 6. Nothing stuck.
    for (d, store) in stores.iter().enumerate() {
        let queued = store.queued_operations().expect("queued operations");
        for op in &queued {
            match op.state {
                OperationState::Dead => {
                    let reason = op.last_error.as_deref().unwrap_or("").trim();
                    if reason.is_empty() {
                        v.push(format!("device {d}: dead letter seq {} without a reason", op.seq));
                    } else {
                        v.push(format!(
                            "device {d}: dead letter seq {} ({}): {reason}",
                            op.seq,
                            op.kind.as_str()
                        ));
                    }
                }
                state => v.push(format!(
                    "device {d}: seq {} ({}) still {state:?} after healing (attempts {}, last error {:?})",
                    op.seq,
                    op.kind.as_str(),
                    op.attempts,
                    op.last_error
                )),
            }
        }
    }

    // 1. Exactly once: check-ins.
    let on_server = admin::check_ins(&server).expect("server check-ins");
    let mut server_count: HashMap<&str, usize> = HashMap::new();
    for c in &on_server {
        *server_count.entry(c.check_in.id.as_str()).or_default() += 1;
    }
    let mut device_check_ins = HashSet::new();
    for (d, store) in stores.iter().enumerate() {
        let held = store.check_ins(None).expect("device check-ins");
        let held_ids: HashSet<&str> = held.iter().map(|c| c.id.as_str()).collect();
        let mut acked = world.devices[d].acked.check_ins.clone();
        acked.extend(world.devices[d].alarms_in_pass());
        for id in &acked {
            if !held_ids.contains(id.as_str()) {
                v.push(format!(
                    "device {d}: acknowledged check-in {id} lost on the device"
                ));
            }
        }
        for c in &held {
            device_check_ins.insert(c.id.clone());
            match server_count.get(c.id.as_str()) {
                None => v.push(format!(
                    "device {d}: check-in {} ({}) never reached the server",
                    c.id,
                    c.kind.as_str()
                )),
                Some(1) => {}
                Some(n) => v.push(format!("check-in {} is on the server {n} times", c.id)),
            }
            if let Some(s) = on_server.iter().find(|s| s.check_in.id == c.id) {
                if s.check_in != *c {
                    v.push(format!("check-in {} differs on the server", c.id));
                }
                if index_of(&s.provenance.device_id) != Some(d) {
                    v.push(format!("check-in {} credited to another device", c.id));
                }
            }
        }
    }
    for c in &on_server {
        if !device_check_ins.contains(&c.check_in.id) {
            v.push(format!(
                "check-in {} on the server was written by no device",
                c.check_in.id
            ));
        }
    }

    // 1, 4. Reports, their chains and attachments.
    let server_reports = admin::reports(&server).expect("server reports");
    let mut device_reports = HashSet::new();
    let mut device_attachments = 0usize;
    for (d, store) in stores.iter().enumerate() {
        let ids = store.report_ids().expect("report ids");
        let acked = &world.devices[d].acked;
        for id in acked.reports.iter().chain(&acked.submitted) {
            if !ids.contains(id) {
                v.push(format!(
                    "device {d}: acknowledged report {id} lost on the device"
                ));
            }
        }
        for id in &ids {
            device_reports.insert(id.clone());
            let local = store.report(id).expect("device report");
            device_attachments += local.attachments.len();
            if acked.submitted.contains(id) && local.state != cordon_core::ReportState::Submitted {
                v.push(format!("device {d}: acknowledged submission of {id} lost"));
            }
            if let Some((_, n)) = acked.amendments.iter().find(|(r, _)| r == id) {
                if (local.amendments.len() as i32) < *n {
                    v.push(format!("device {d}: acknowledged amendments of {id} lost"));
                }
            }
            for a in &acked.attachments {
                if local.attachments.iter().any(|x| &x.id == a) {
                    continue;
                }
                // An acknowledged attachment belongs to some report of this device.
                let anywhere = ids.iter().any(|r| {
                    store
                        .report(r)
                        .map(|rep| rep.attachments.iter().any(|x| &x.id == a))
                        .unwrap_or(false)
                });
                if !anywhere {
                    v.push(format!("device {d}: acknowledged attachment {a} lost"));
                }
            }
            let Some(remote) = server_reports.iter().find(|r| &r.id == id) else {
                v.push(format!("device {d}: report {id} never reached the server"));
                continue;
            };
            if index_of(&remote.provenance.device_id) != Some(d) {
                v.push(format!("report {id} credited to another device"));
            }
            if remote.state != local.state {
                v.push(format!(
                    "report {id}: {:?} on the device, {:?} on the server",
                    local.state, remote.state
                ));
            }
            if remote.content != local.content {
                v.push(format!(
                    "report {id}: content differs between device and server"
                ));
            }
            if remote.amendments != local.amendments {
                v.push(format!(
                    "report {id}: {} amendments on the device, {} on the server (or they differ)",
                    local.amendments.len(),
                    remote.amendments.len()
                ));
            }
            let mut la = local.attachments.clone();
            let mut ra = remote.attachments.clone();
            la.sort_by(|a, b| a.id.cmp(&b.id));
            ra.sort_by(|a, b| a.id.cmp(&b.id));
            if la != ra {
                v.push(format!(
                    "report {id}: attachments differ between device and server"
                ));
            }
            if local.state == cordon_core::ReportState::Submitted {
                let device_chain = store.verify_report(id).expect("verify on the device");
                match (&device_chain, &remote.integrity) {
                    (
                        ReportIntegrity::Intact { head_hash: a, .. },
                        ReportIntegrity::Intact { head_hash: b, .. },
                    ) => {
                        if a != b || remote.head_hash.as_deref() != Some(a.as_str()) {
                            v.push(format!(
                                "report {id}: head hash differs between device and server"
                            ));
                        }
                    }
                    (a, b) => v.push(format!(
                        "report {id}: chain does not verify: device {a:?}, server {b:?}"
                    )),
                }
            }
            // Reviews reached the device.
            // The device lists reviews by the office's `reviewed_at`, the office in the
            // order it wrote them; a server clock turned back between two reviews orders
            // them differently, which is the same set of reviews.
            let reviews = store.report_reviews(id).expect("device reviews");
            let mut office = remote.reviews.clone();
            office.sort_by_key(|r| r.reviewed_at);
            if reviews != office {
                v.push(format!(
                    "report {id}: {} reviews on the device, {} at the office",
                    reviews.len(),
                    remote.reviews.len()
                ));
            }
        }
    }
    for r in &server_reports {
        if !device_reports.contains(&r.id) {
            v.push(format!(
                "report {} on the server was written by no device",
                r.id
            ));
        }
    }

    // 5. Attachment bytes.
    let attachments = admin::attachments(&server).expect("server attachments");
    if attachments.len() != device_attachments {
        v.push(format!(
            "{} attachments on the devices, {} on the server",
            device_attachments,
            attachments.len()
        ));
    }
    for a in &attachments {
        if !a.complete || i64::try_from(a.received_bytes) != Ok(a.attachment.size_bytes) {
            v.push(format!(
                "attachment {}: {} of {} bytes on the server, complete {}",
                a.attachment.id, a.received_bytes, a.attachment.size_bytes, a.complete
            ));
        }
    }

    // 5. The assignment as the office issued it last.
    for (d, store) in stores.iter().enumerate() {
        let local = store.assignment(&world.assignment_id);
        let latest = store
            .assignments()
            .ok()
            .and_then(|all| all.into_iter().map(|a| a.server_version).max());
        match local {
            Ok(a) if Some(a.server_version) == latest => {}
            Ok(a) => v.push(format!(
                "device {d}: assignment at version {} of {latest:?}",
                a.server_version
            )),
            Err(e) => v.push(format!("device {d}: assignment missing: {e}")),
        }
    }
    let issued = world.issued_version();
    for (d, store) in stores.iter().enumerate() {
        if let Ok(a) = store.assignment(&world.assignment_id) {
            if a.server_version != issued {
                v.push(format!(
                    "device {d}: holds assignment version {}, the office issued {issued}",
                    a.server_version
                ));
            }
        }
    }

    // 2. Per-record order, and one receipt per operation.
    let receipts = admin::receipts(&server).expect("receipts");
    let mut seen = HashSet::new();
    // (device, record) -> (seq, server_version) of each applied operation.
    type Applied = Vec<(i64, Option<i64>)>;
    let mut applied: BTreeMap<(String, String), Applied> = BTreeMap::new();
    for r in &receipts {
        if !seen.insert((r.device_id.clone(), r.operation_id.clone())) {
            v.push(format!("operation {} has two receipts", r.operation_id));
        }
        if r.status == "applied" {
            applied
                .entry((r.device_id.clone(), r.record_id.clone()))
                .or_default()
                .push((r.seq, r.server_version));
        } else {
            v.push(format!(
                "operation {} ({}) rejected by the server: {:?}",
                r.operation_id, r.kind, r.reason
            ));
        }
    }
    for ((_, record), mut ops) in applied {
        ops.sort();
        for (rank, (seq, version)) in ops.iter().enumerate() {
            if *version != Some(rank as i64 + 1) {
                v.push(format!(
                    "record {record}: operation seq {seq} applied as version {version:?}, \
                     expected {} (applied out of order)",
                    rank + 1
                ));
                break;
            }
        }
    }
    v
}
