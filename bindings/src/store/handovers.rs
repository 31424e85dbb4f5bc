//! Handover notes: the outgoing officer writes one offline; the incoming officer's phone
//! receives it and acknowledges it offline; the outgoing phone learns of the
//! acknowledgement on a later sync.

use cordon_core::{CordonError, Handover, NewHandover};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// The outgoing officer writes a handover note to `note.toOfficerId`: stored at once
    /// (offline) and queued for the office, which sends it to the incoming officer's
    /// phone. A bad field is `InvalidInput` naming it; an assignment not on the phone is
    /// `NotFound`.
    pub fn write_handover(&self, note: NewHandover) -> Result<Handover, CordonError> {
        self.core().write_handover(note)
    }

    /// Every note on the phone, newest first: the officer's own and those to them. Show
    /// every text as text.
    pub fn handovers(&self) -> Result<Vec<Handover>, CordonError> {
        self.core().handovers()
    }

    /// The notes addressed to the officer that they have not acknowledged yet.
    pub fn handovers_to_acknowledge(&self) -> Result<Vec<Handover>, CordonError> {
        self.core().handovers_to_acknowledge()
    }

    /// The incoming officer acknowledges the note: stored at once (offline) and queued
    /// for the office once; again, it keeps the first time and queues nothing. A note not
    /// addressed to this officer is `HandoverNotForYou`; an unknown id is `NotFound`.
    pub fn acknowledge_handover(&self, handover_id: &str) -> Result<Handover, CordonError> {
        self.core().acknowledge_handover(handover_id)
    }
}
