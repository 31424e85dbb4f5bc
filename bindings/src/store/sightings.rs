//! The surveillance log: sightings written on the phone (offline), matched at once against
//! the BOLO list the office sent, and the BOLO list as the phone holds it.

use cordon_core::{BoloEntry, CordonError, NewSighting, Sighting};

use super::CordonStore;

#[uniffi::export]
impl CordonStore {
    /// Logs a sighting: stored at once (no signal needed) and queued for the office. Its
    /// registration is normalised (`AB12 CDE`, `ab12cde` and `AB-12-CDE` are one car) and
    /// matched against the BOLO list the phone holds: a match comes back in `boloMatch`
    /// (show it to the officer now) and the sighting goes to the control room ahead of
    /// everything but alarms. Photos (`photos`: files the app wrote, images such as `image/jpeg`) are copied
    /// into the store and uploaded like report attachments. Links must name sightings on
    /// this phone. Bad input is `CordonException.InvalidInput` /
    /// `CordonError.InvalidInput` naming the field, with nothing stored.
    pub fn record_sighting(&self, sighting: NewSighting) -> Result<Sighting, CordonError> {
        self.core().record_sighting(sighting)
    }

    /// Every sighting logged on this phone, oldest first.
    pub fn sightings(&self) -> Result<Vec<Sighting>, CordonError> {
        self.core().sightings()
    }

    /// One sighting of this phone; any other id is `NotFound`.
    pub fn sighting(&self, id: &str) -> Result<Sighting, CordonError> {
        self.core().sighting(id)
    }

    /// The BOLO list as last pulled from the office (withdrawn entries left out), most
    /// urgent first.
    pub fn bolo_entries(&self) -> Result<Vec<BoloEntry>, CordonError> {
        self.core().bolo_entries()
    }
}
